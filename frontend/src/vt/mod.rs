//! A terminal emulator for `kubectl exec -it` into real containers: the bytes the container's
//! TTY writes go through [`parser`] onto a [`screen::Screen`] the page draws; [`keys`] turns key
//! presses into the bytes a terminal sends back; [`cooked`] is the line editing a terminal does
//! itself for a process without a TTY. Pure, tested on byte sequences.

pub mod cooked;
pub mod keys;
pub mod parser;
pub mod screen;
pub mod style;
