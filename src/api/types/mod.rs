//! The API's request and response types: serde for the wire, utoipa for the document.
//! Responses mirror the service's views in the shapes the API has always sent.

mod goals;
mod ladder;
mod meetings;
mod records;
mod requests;
mod review;

pub use goals::*;
pub use ladder::*;
pub use meetings::*;
pub use records::*;
pub use requests::*;
pub use review::*;
