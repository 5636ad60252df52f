//! AWS WAF text transformations (filled in by the transform work).
