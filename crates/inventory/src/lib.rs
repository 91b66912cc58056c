//! (placeholder: this crate is being written)
