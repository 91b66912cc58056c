//! Zone loading: RFC 2317 labels, errors with file:line, `$INCLUDE` confinement.
