//! Screening log lines before reading them: a line none of whose strings
//! (nor any value a reader makes of them) is a value some indicator is
//! anchored on cannot match, and when a glance at its top-level members
//! also shows that it is an event, it is counted as one and let go without
//! building its observables. Every other line is read in full.
//!
//! What the screen lets go is exactly what reading would have found no
//! match in: the index behind the screen is the matcher's
//! (`tallinn_stix::matcher::Screen`), every value an observable holds comes
//! from the line's strings through the functions of [`crate::event`] that
//! [`Derivations`] and [`http_url`] name, and [`formats::surely_an_event`]
//! says "event" only where [`formats::read`] would. Tests hold all three
//! to the readers on real lines of every format.

use bumpalo::collections::Vec as BumpVec;
use tallinn_stix::matcher::json::glance::glance;
use tallinn_stix::matcher::{Bump, Screen};

use crate::event::{Derivations, http_url};
use crate::formats::{self, Format};

/// The most strings of one line tried in pairs as URLs (a log line holds
/// a few dozen).
pub const MAX_PAIRED: usize = 256;

/// The screen of a detector's indicators (see the module's text).
#[derive(Debug)]
pub struct LineScreen {
    screen: Screen,
    /// Some indicator is anchored on a URL, which readers make of two
    /// strings (a host and a path): those pairs are tried too.
    urls: bool,
    /// What else to try of each string.
    derivations: Derivations,
}

impl LineScreen {
    pub fn new(screen: Screen) -> Self {
        let urls = screen.anchors_type("url");
        let derivations = Derivations::for_types(|ty| screen.anchors_type(ty));
        LineScreen { screen, urls, derivations }
    }

    /// Whether `line`, of `format`, is surely an event that matches no
    /// indicator: to be counted and let go. False when it is to be read.
    pub fn lets_go(&self, line: &str, format: Format, arena: &Bump) -> bool {
        let mut admitted = false;
        let mut strings = BumpVec::new_in(arena);
        let top = glance(line, arena, &mut |s: &str| {
            if admitted {
                return;
            }
            let screen = &self.screen;
            admitted = screen.could_admit(s.len()) && screen.admits(s);
            self.derivations.each(s, &|len| screen.could_admit(len), &mut |v| admitted |= screen.admits(v));
            if self.urls {
                strings.push(&*arena.alloc_str(s));
            }
        });
        let Some(top) = top else { return false };
        if admitted || (self.urls && self.admits_a_url(&strings)) {
            return false;
        }
        formats::surely_an_event(&top, format)
    }

    /// Whether a URL made of two of `strings` (a host and a path) is
    /// admitted. Pairs grow as the square of the strings: a line of more
    /// than [`MAX_PAIRED`] is not paired but read (its reader takes each
    /// host with its own path), so a hostile line costs no more than reading.
    fn admits_a_url(&self, strings: &[&str]) -> bool {
        if strings.len() > MAX_PAIRED {
            return true;
        }
        strings.iter().filter(|path| path.starts_with('/')).any(|path| strings.iter().any(|host| self.screen.admits(&http_url(host, path))))
    }
}
