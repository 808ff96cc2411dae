//! Pure logic: no actix, no database. Plain values in, plain values out. (The state
//! enums of `states` carry diesel's derives, which must sit on the type, so that rows
//! hold them typed.)

pub mod coach;
pub mod comparison;
pub mod drivers;
pub mod effect;
pub mod goal;
pub mod grouping;
pub mod input;
pub mod intervals;
pub mod ladder;
pub mod role;
pub mod states;
pub mod stats;
pub mod week;
