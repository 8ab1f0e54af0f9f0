//! Integration tests of the connectors against local servers on loopback that speak each real
//! protocol, fed with recorded fixtures shaped as the public API documentation shows them.

mod bluesky;
mod common;
mod email;
mod feed;
mod mastodon;

mod webhook;
