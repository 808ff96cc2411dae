//! The migrations (`embed_migrations!`) and the message catalogue (`rust_i18n::i18n!`) are
//! read when the crate compiles: a change to either must rebuild it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
}
