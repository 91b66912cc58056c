//! Integration tests of the embedded DNS server: real DNS over 127.0.0.1.

mod client;
mod example;
mod faults;
mod hostile;
mod operators;
mod resolver;
mod serving;
mod zones;
