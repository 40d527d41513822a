//! The Merkle tree of RFC 9162 §2.1: hashing, the compact range that appends use, proof shapes,
//! and proof verification. Pure functions over hashes: no I/O.
//!
//! Nodes are addressed as `(level, index)`: the complete subtree covering leaves
//! `[index << level, (index + 1) << level)`. Every subtree hash that a proof needs,
//! `MTH(D[start:end])` with `start` aligned as RFC 9162 splits always leave it, is the right fold
//! of the complete nodes its range decomposes into (largest first), so a proof needs only
//! O(log² n) stored nodes, read by key: no scan.

use sha2::{Digest as _, Sha256};

/// A node or leaf hash.
pub type Hash = [u8; 32];

/// SHA-256 of the empty string: the root of the empty tree (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 || entry)` (RFC 9162 §2.1.1).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)` (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly smaller than `n` (n ≥ 2): RFC 9162's split point `k`.
pub fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[0:n])` computed from the leaf hashes by the RFC's own recursion. The reference the
/// faster paths are tested against.
pub fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

/// A range of leaves `[start, end)` whose `MTH` a proof needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subtree {
    /// First leaf.
    pub start: u64,
    /// One past the last leaf.
    pub end: u64,
}

impl Subtree {
    /// The complete nodes `(level, index)` this range decomposes into, largest first.
    pub fn nodes(&self) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut start = self.start;
        let mut len = self.end - self.start;
        while len > 0 {
            let level = 63 - len.leading_zeros();
            out.push((level, start >> level));
            start += 1 << level;
            len -= 1 << level;
        }
        out
    }

    /// Folds the hashes of [`Subtree::nodes`] (in that order) into `MTH(D[start:end])`.
    pub fn fold(hashes: &[Hash]) -> Hash {
        let mut it = hashes.iter().rev();
        let Some(last) = it.next() else {
            return empty_root();
        };
        it.fold(*last, |acc, h| node_hash(h, &acc))
    }
}

/// The subtrees whose hashes form the inclusion proof of leaf `index` in a tree of `size`
/// leaves, in proof order (RFC 9162 §2.1.3.1, `PATH(m, D[n])`).
pub fn inclusion_subtrees(index: u64, size: u64) -> Vec<Subtree> {
    fn path(m: u64, lo: u64, hi: u64, out: &mut Vec<Subtree>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            path(m, lo, lo + k, out);
            out.push(Subtree {
                start: lo + k,
                end: hi,
            });
        } else {
            path(m - k, lo + k, hi, out);
            out.push(Subtree {
                start: lo,
                end: lo + k,
            });
        }
    }
    let mut out = Vec::new();
    if index < size {
        path(index, 0, size, &mut out);
    }
    out
}

/// The subtrees whose hashes form the consistency proof from `first` to `second` leaves, in
/// proof order (RFC 9162 §2.1.4.1, `PROOF(m, D[n])`). Empty when `first` is 0 or equal to
/// `second`.
pub fn consistency_subtrees(first: u64, second: u64) -> Vec<Subtree> {
    fn subproof(m: u64, lo: u64, hi: u64, whole: bool, out: &mut Vec<Subtree>) {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(Subtree { start: lo, end: hi });
            }
            return;
        }
        let k = split(n);
        if m <= k {
            subproof(m, lo, lo + k, whole, out);
            out.push(Subtree {
                start: lo + k,
                end: hi,
            });
        } else {
            subproof(m - k, lo + k, hi, false, out);
            out.push(Subtree {
                start: lo,
                end: lo + k,
            });
        }
    }
    let mut out = Vec::new();
    if first > 0 && first < second {
        subproof(first, 0, second, true, &mut out);
    }
    out
}

/// Why a proof does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index or sizes are out of range (e.g. index ≥ size, first > second).
    #[error("the proof's index or sizes are out of range")]
    Range,
    /// The proof has the wrong number of hashes.
    #[error("the proof has the wrong length")]
    Length,
    /// The recomputed root differs from the expected one.
    #[error("the recomputed root does not match")]
    Mismatch,
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Range);
    }
    let mut fn_ = index;
    let mut sn = size - 1;
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::Length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::Length);
    }
    if &r == root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2), including the two degenerate cases: equal
/// sizes need an empty proof and equal roots; the empty first tree is consistent with anything.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::Range);
    }
    if first == second {
        if !proof.is_empty() {
            return Err(ProofError::Length);
        }
        return if first_root == second_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    if first == 0 {
        return if proof.is_empty() && first_root == &empty_root() {
            Ok(())
        } else if proof.is_empty() {
            Err(ProofError::Mismatch)
        } else {
            Err(ProofError::Length)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::Length);
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if first.is_power_of_two() {
        path.insert(0, *first_root);
    }
    let mut fn_ = first - 1;
    let mut sn = second - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::Length);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::Length);
    }
    if &fr == first_root && &sr == second_root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// The right edge of a tree: the roots of its complete subtrees, largest (leftmost) first. An
/// append touches only this, and reports the complete nodes it creates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    roots: Vec<Hash>,
}

impl CompactRange {
    /// Rebuilds from a size and its subtree roots (as stored).
    pub fn from_parts(size: u64, roots: Vec<Hash>) -> Option<Self> {
        (size.count_ones() as usize == roots.len()).then_some(Self { size, roots })
    }

    /// Leaves so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtree roots, largest first.
    pub fn roots(&self) -> &[Hash] {
        &self.roots
    }

    /// Appends a leaf; returns every node that became complete, `(level, index, hash)`, the leaf
    /// itself (level 0) first.
    pub fn push(&mut self, leaf: Hash) -> Vec<(u32, u64, Hash)> {
        let mut created = vec![(0, self.size, leaf)];
        let mut hash = leaf;
        let mut level = 0u32;
        let mut index = self.size;
        while (self.size >> level) & 1 == 1 {
            let left = self.roots.pop().expect("a set bit has a root");
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            created.push((level, index, hash));
        }
        self.roots.push(hash);
        self.size += 1;
        created
    }

    /// `MTH` of the whole tree.
    pub fn root(&self) -> Hash {
        Subtree::fold(&self.roots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Hash {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The Certificate Transparency reference inputs (RFC 6962 test data, reused by RFC 9162
    /// implementations: Trillian, transparency-dev/merkle).
    fn ct_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|x| leaf_hash(&hex::decode(x).unwrap()))
        .collect()
    }

    const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// Computes a proof's hashes from the leaves, through the subtree decomposition the
    /// database path uses.
    fn materialise(leaves: &[Hash], subtrees: &[Subtree]) -> Vec<Hash> {
        subtrees
            .iter()
            .map(|s| {
                let hashes: Vec<Hash> = s
                    .nodes()
                    .iter()
                    .map(|&(level, index)| {
                        let a = (index << level) as usize;
                        reference_root(&leaves[a..a + (1 << level)])
                    })
                    .collect();
                let folded = Subtree::fold(&hashes);
                assert_eq!(
                    folded,
                    reference_root(&leaves[s.start as usize..s.end as usize])
                );
                folded
            })
            .collect()
    }

    #[test]
    fn roots_match_the_ct_reference_for_every_size() {
        let leaves = ct_leaves();
        let mut compact = CompactRange::default();
        assert_eq!(compact.root(), h(CT_ROOTS[0]));
        for n in 1..=8 {
            assert_eq!(reference_root(&leaves[..n]), h(CT_ROOTS[n]), "size {n}");
            compact.push(leaves[n - 1]);
            assert_eq!(compact.root(), h(CT_ROOTS[n]), "compact size {n}");
        }
    }

    #[test]
    fn inclusion_proofs_match_the_ct_reference() {
        let leaves = ct_leaves();
        let cases = [
            (
                0,
                [
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                [
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (index, expected) in cases {
            let proof = materialise(&leaves, &inclusion_subtrees(index, 8));
            let expected: Vec<Hash> = expected.iter().map(|x| h(x)).collect();
            assert_eq!(proof, expected, "leaf {index}");
            verify_inclusion(&leaves[index as usize], index, 8, &proof, &h(CT_ROOTS[8])).unwrap();
        }
    }

    #[test]
    fn compact_ranges_report_exactly_the_complete_nodes() {
        let leaves: Vec<Hash> = (0u32..37).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut c = CompactRange::default();
        let mut nodes = std::collections::BTreeMap::new();
        for l in &leaves {
            for (level, index, hash) in c.push(*l) {
                assert!(nodes.insert((level, index), hash).is_none());
            }
        }
        for ((level, index), hash) in &nodes {
            let a = (*index << *level) as usize;
            assert_eq!(*hash, reference_root(&leaves[a..a + (1 << *level)]));
        }
        // 37 leaves: 37 + 18 + 9 + 4 + 2 + 1 complete nodes.
        assert_eq!(nodes.len(), 37 + 18 + 9 + 4 + 2 + 1);
        let rebuilt = CompactRange::from_parts(c.size(), c.roots().to_vec()).unwrap();
        assert_eq!(rebuilt.root(), reference_root(&leaves));
        assert!(CompactRange::from_parts(5, vec![[0; 32]]).is_none());
    }

    /// Every inclusion proof of every leaf verifies, for every size up to 300, and every altered
    /// proof fails.
    #[test]
    fn every_inclusion_proof_verifies_and_every_altered_one_fails() {
        let leaves: Vec<Hash> = (0u32..300).map(|i| leaf_hash(&i.to_le_bytes())).collect();
        let mut roots = vec![empty_root()];
        let mut c = CompactRange::default();
        for l in &leaves {
            c.push(*l);
            roots.push(c.root());
        }
        for n in 1..=300u64 {
            let root = roots[n as usize];
            for m in 0..n {
                let leaf = leaves[m as usize];
                let proof = materialise(&leaves[..n as usize], &inclusion_subtrees(m, n));
                verify_inclusion(&leaf, m, n, &proof, &root).unwrap();
                assert!(verify_inclusion(&leaf, n, n, &proof, &root).is_err());
                if let Some(last) = proof.len().checked_sub(1) {
                    let mut flipped = proof.clone();
                    flipped[last][0] ^= 1;
                    assert!(verify_inclusion(&leaf, m, n, &flipped, &root).is_err());
                    assert!(verify_inclusion(&leaf, m, n, &proof[..last], &root).is_err());
                }
                let mut longer = proof.clone();
                longer.push([7; 32]);
                assert!(verify_inclusion(&leaf, m, n, &longer, &root).is_err());
                assert!(verify_inclusion(&[9; 32], m, n, &proof, &root).is_err());
            }
        }
    }

    /// Every consistency proof between every pair of sizes up to 200 verifies, and every altered
    /// proof fails: the check covers every entry, not only the ends.
    #[test]
    fn every_consistency_proof_verifies_and_every_altered_one_fails() {
        let leaves: Vec<Hash> = (0u32..200).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let roots: Vec<Hash> = (0..=200).map(|n| reference_root(&leaves[..n])).collect();
        for n in 0..=200u64 {
            for m in 0..=n {
                let proof = materialise(&leaves[..n as usize], &consistency_subtrees(m, n));
                let (r1, r2) = (roots[m as usize], roots[n as usize]);
                verify_consistency(m, n, &r1, &r2, &proof)
                    .unwrap_or_else(|e| panic!("{m} -> {n}: {e}"));
                for i in 0..proof.len() {
                    let mut flipped = proof.clone();
                    flipped[i][31] ^= 0x80;
                    assert!(
                        verify_consistency(m, n, &r1, &r2, &flipped).is_err(),
                        "{m}->{n} #{i}"
                    );
                }
                if !proof.is_empty() {
                    assert!(verify_consistency(m, n, &r1, &r2, &proof[1..]).is_err());
                }
                let mut longer = proof.clone();
                longer.push([3; 32]);
                assert!(verify_consistency(m, n, &r1, &r2, &longer).is_err());
                if m > 0 && m < n {
                    // A different old tree (one leaf changed) is not consistent.
                    let mut other = leaves[..m as usize].to_vec();
                    other[0][0] ^= 1;
                    assert!(
                        verify_consistency(m, n, &reference_root(&other), &r2, &proof).is_err()
                    );
                }
            }
        }
    }

    #[test]
    fn subtree_decomposition_is_largest_first_and_aligned() {
        assert_eq!(
            Subtree { start: 8, end: 15 }.nodes(),
            vec![(2, 2), (1, 6), (0, 14)]
        );
        assert_eq!(Subtree { start: 0, end: 8 }.nodes(), vec![(3, 0)]);
        assert_eq!(split(2), 1);
        assert_eq!(split(5), 4);
        assert_eq!(split(8), 4);
        assert_eq!(split(9), 8);
    }
}
