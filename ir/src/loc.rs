//! Source locations carried by every op, so that an error found in any pass (or inside a fused
//! pipeline on a worker) still points at the DaphneDSL line it came from.

/// A location: a file (index into the module's file table), line and column (1-based), or a
/// fusion of several locations, or unknown.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Loc {
    #[default]
    Unknown,
    File {
        file: u32,
        line: u32,
        col: u32,
    },
    Fused(Vec<Loc>),
}

impl Loc {
    pub fn new(file: u32, line: u32, col: u32) -> Loc {
        Loc::File { file, line, col }
    }

    /// The first concrete file position of this location, if any.
    pub fn first_position(&self) -> Option<(u32, u32, u32)> {
        match self {
            Loc::Unknown => None,
            Loc::File { file, line, col } => Some((*file, *line, *col)),
            Loc::Fused(locs) => locs.iter().find_map(Loc::first_position),
        }
    }

    /// Merges locations, dropping unknown ones and duplicates; a single location stays as it is.
    pub fn fuse(locs: impl IntoIterator<Item = Loc>) -> Loc {
        let mut parts: Vec<Loc> = Vec::new();
        for loc in locs {
            let items = match loc {
                Loc::Fused(inner) => inner,
                Loc::Unknown => Vec::new(),
                other => vec![other],
            };
            for item in items {
                if !parts.contains(&item) {
                    parts.push(item);
                }
            }
        }
        match parts.len() {
            0 => Loc::Unknown,
            1 => parts.pop().unwrap_or_default(),
            _ => Loc::Fused(parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuse_flattens_and_dedups() {
        let a = Loc::new(0, 1, 2);
        let b = Loc::new(0, 3, 4);
        let fused = Loc::fuse([a.clone(), Loc::Unknown, Loc::fuse([a.clone(), b.clone()])]);
        assert_eq!(fused, Loc::Fused(vec![a.clone(), b]));
        assert_eq!(Loc::fuse([a.clone()]), a);
        assert_eq!(Loc::fuse([]), Loc::Unknown);
    }
}
