//! A fault-injecting DNS proxy for tests (being written).
