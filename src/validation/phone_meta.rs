//! libphonenumber's metadata as static tables, written at build time
//! (`phone_meta_build.rs`) from the `phonenumber` crate's own database: the fast paths read a
//! country's patterns from here, so judging a number parses only that country's patterns,
//! not the whole database's (about 0.1 s of CPU the first row, and an import's first
//! request, would otherwise wait for).

/// A number type's pattern and the national number lengths it allows (empty: any).
pub(super) struct Desc {
    pub pattern: &'static str,
    pub lengths: &'static [u16],
}

/// One region's entry (a non-geographic code's `001` entries each have their own).
pub(super) struct Meta {
    /// Its place in [`METAS`].
    pub index: usize,
    /// Read by the tests, which hold the tables to the database.
    #[cfg_attr(not(test), allow(dead_code))]
    pub id: &'static str,
    pub code: u16,
    pub national_prefix: Option<&'static str>,
    pub international_prefix: Option<&'static str>,
    pub national_prefix_for_parsing: Option<&'static str>,
    pub leading_digits: Option<&'static str>,
    pub general: Desc,
    /// Premium rate, toll free, shared cost, VoIP, personal number, pager, UAN, voicemail,
    /// fixed line, mobile: the order `phonenumber` asks them in.
    pub types: [Option<Desc>; 10],
}

/// The type in [`Meta::types`] that `isPossibleNumber` does not look at.
pub(super) const VOICEMAIL: usize = 7;

/// A country code's entries.
pub(super) struct Code {
    /// Whether the database lists the code among its regions by id (the codes the fast
    /// paths read a `+` number's code against).
    pub known: bool,
    /// The entries `phonenumber::is_valid` tries, in its order.
    pub regions: Option<&'static [usize]>,
    /// Every entry with this code.
    pub all: &'static [usize],
}

include!(concat!(env!("OUT_DIR"), "/phone_meta.rs"));

/// The entry of a region id (`US`, `GB`).
pub(super) fn by_id(id: &str) -> Option<&'static Meta> {
    let i = BY_ID.binary_search_by_key(&id, |(id, _)| id).ok()?;
    METAS.get(BY_ID[i].1)
}

/// A code's entries: [`CODES`] is indexed by the code itself (no search per number).
pub(super) fn code(code: u16) -> Option<&'static Code> {
    CODES.get(usize::from(code))?.as_ref()
}
