//! Raw DNS message helpers (being written).
