//! `K/N`: one of N deterministic shards of a run (`ocicheck run --partition K/N`).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// The K-th of N shards: the items whose position `i` (0-based, in the sorted list being split)
/// has `i % N == K - 1`. In JSON, the string `"K/N"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Partition {
    index: usize,
    count: usize,
}

/// Why a `K/N` is not a partition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    #[error("partition {0:?} is not K/N")]
    NotKN(String),
    #[error("partition {0:?}: K is not a number")]
    K(String),
    #[error("partition {0:?}: N is not a number")]
    N(String),
    #[error("partition {0:?}: need 1 <= K <= N")]
    Range(String),
}

impl Partition {
    /// The `index`-th (1-based) of `count` shards.
    pub fn new(index: usize, count: usize) -> Result<Partition, PartitionError> {
        if count == 0 || index == 0 || index > count {
            return Err(PartitionError::Range(format!("{index}/{count}")));
        }
        Ok(Partition { index, count })
    }

    /// K, from 1 to N.
    pub fn index(self) -> usize {
        self.index
    }

    /// N.
    pub fn count(self) -> usize {
        self.count
    }

    /// Whether the item at `position` (0-based) of the list being split is in this shard.
    pub fn contains(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// This shard of `items`, in their order.
    pub fn select<T>(self, items: impl IntoIterator<Item = T>) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.contains(*i))
            .map(|(_, item)| item)
            .collect()
    }

    /// Every shard of a split into `count`, in order (none when `count` is 0).
    pub fn all(count: usize) -> impl Iterator<Item = Partition> {
        (1..=count).map(move |index| Partition { index, count })
    }
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(s: &str) -> Result<Partition, PartitionError> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| PartitionError::NotKN(s.to_string()))?;
        let index: usize = k.parse().map_err(|_| PartitionError::K(s.to_string()))?;
        let count: usize = n.parse().map_err(|_| PartitionError::N(s.to_string()))?;
        Partition::new(index, count).map_err(|_| PartitionError::Range(s.to_string()))
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl TryFrom<String> for Partition {
    type Error = PartitionError;

    fn try_from(s: String) -> Result<Partition, PartitionError> {
        s.parse()
    }
}

impl From<Partition> for String {
    fn from(p: Partition) -> String {
        p.to_string()
    }
}

impl JsonSchema for Partition {
    fn schema_name() -> Cow<'static, str> {
        "Partition".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "`K/N`: the K-th of N deterministic shards of the selected cases \
                            (1 <= K <= N).",
            "type": "string",
            "pattern": "^[1-9][0-9]*/[1-9][0-9]*$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_like_before() {
        let p: Partition = "2/3".parse().expect("2/3");
        assert_eq!((p.index(), p.count()), (2, 3));
        assert_eq!(p.to_string(), "2/3");
        let err = |s: &str| match s.parse::<Partition>() {
            Err(e) => e.to_string(),
            Ok(p) => panic!("{s} parsed as {p}"),
        };
        assert_eq!(err("3"), "partition \"3\" is not K/N");
        assert_eq!(err("a/3"), "partition \"a/3\": K is not a number");
        assert_eq!(err("1/b"), "partition \"1/b\": N is not a number");
        assert_eq!(err("4/3"), "partition \"4/3\": need 1 <= K <= N");
        assert_eq!(err("0/3"), "partition \"0/3\": need 1 <= K <= N");
        assert_eq!(err("0/0"), "partition \"0/0\": need 1 <= K <= N");
        assert_eq!(err("1/2/3"), "partition \"1/2/3\": N is not a number");
    }

    #[test]
    fn shards_cover_a_list_exactly_once() {
        let items: Vec<usize> = (0..10).collect();
        let shards: Vec<Vec<usize>> = Partition::all(3)
            .map(|p| p.select(items.iter().copied()))
            .collect();
        assert_eq!(shards[0], [0, 3, 6, 9]);
        assert_eq!(shards[1], [1, 4, 7]);
        assert_eq!(shards[2], [2, 5, 8]);
        let mut all: Vec<usize> = shards.into_iter().flatten().collect();
        all.sort();
        assert_eq!(all, items);
    }

    #[test]
    fn is_the_string_k_n_in_json() {
        let p = Partition::new(1, 4).expect("1/4");
        assert_eq!(serde_json::to_string(&p).expect("json"), "\"1/4\"");
        let back: Partition = serde_json::from_str("\"1/4\"").expect("parses");
        assert_eq!(back, p);
        let e = serde_json::from_str::<Partition>("\"5/4\"").expect_err("5/4");
        assert!(e.to_string().contains("need 1 <= K <= N"), "{e}");
        assert!(serde_json::from_str::<Partition>("14").is_err());
    }
}
