//! Defaulting: the fields the API server fills in when a client leaves them out.
