//! SQL injection and XSS detectors.
