//! Pure logic: no actix, no diesel. Plain values in, plain values out.

pub mod coach;
pub mod comparison;
pub mod drivers;
pub mod effect;
pub mod grouping;
pub mod input;
pub mod intervals;
pub mod ladder;
pub mod role;
pub mod stats;
pub mod week;
