//! Examples of the hiercomp methods live next to this file; run one with
//! `cargo run --release -p hiercomp-examples --example cm -- FILE`.
