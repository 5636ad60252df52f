//! Byte-level parsers for request components: query strings, cookies, JSON bodies.
