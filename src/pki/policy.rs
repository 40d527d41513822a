//! The valid_policy_tree of RFC 5280 §6.1 (certificate policies, policy mappings, explicit policy
//! and anyPolicy inhibition), as an arena of nodes.

use std::collections::BTreeSet;

use super::cert::ANY_POLICY;

#[derive(Debug, Clone)]
struct Node {
    policy: String,
    expected: BTreeSet<String>,
    depth: usize,
    parent: Option<usize>,
    alive: bool,
}

/// The tree; `None` root means NULL.
#[derive(Debug, Clone)]
pub struct PolicyTree {
    nodes: Vec<Node>,
    null: bool,
}

impl PolicyTree {
    /// The initial tree: one anyPolicy node at depth 0.
    pub fn new() -> Self {
        Self {
            nodes: vec![Node {
                policy: ANY_POLICY.into(),
                expected: [ANY_POLICY.to_owned()].into(),
                depth: 0,
                parent: None,
                alive: true,
            }],
            null: false,
        }
    }

    /// Whether the tree is NULL.
    pub fn is_null(&self) -> bool {
        self.null
    }

    /// Sets the tree to NULL.
    pub fn set_null(&mut self) {
        self.null = true;
    }

    fn at_depth(&self, depth: usize) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].alive && self.nodes[i].depth == depth)
            .collect()
    }

    fn add(&mut self, parent: usize, policy: &str, expected: BTreeSet<String>) {
        let depth = self.nodes[parent].depth + 1;
        self.nodes.push(Node {
            policy: policy.to_owned(),
            expected,
            depth,
            parent: Some(parent),
            alive: true,
        });
    }

    fn has_children(&self, i: usize) -> bool {
        self.nodes.iter().any(|n| n.alive && n.parent == Some(i))
    }

    /// Deletes childless nodes above `depth`, repeatedly; NULL when the root goes.
    pub fn prune(&mut self, depth: usize) {
        for d in (0..depth).rev() {
            for i in self.at_depth(d) {
                if !self.has_children(i) {
                    self.nodes[i].alive = false;
                }
            }
        }
        if !self.nodes[0].alive {
            self.null = true;
        }
    }

    /// §6.1.3 (d): processes the certificate policies of certificate `depth` (1-based).
    pub fn process_certificate(&mut self, depth: usize, policies: &[String], any_allowed: bool) {
        if self.null {
            return;
        }
        let parents = self.at_depth(depth - 1);
        for p in policies.iter().filter(|p| *p != ANY_POLICY) {
            let matching: Vec<usize> = parents
                .iter()
                .copied()
                .filter(|&i| self.nodes[i].expected.contains(p))
                .collect();
            if !matching.is_empty() {
                for i in matching {
                    self.add(i, p, [p.clone()].into());
                }
            } else if let Some(&any) = parents
                .iter()
                .find(|&&i| self.nodes[i].policy == ANY_POLICY)
            {
                self.add(any, p, [p.clone()].into());
            }
        }
        if any_allowed && policies.iter().any(|p| p == ANY_POLICY) {
            for &parent in &parents {
                let existing: BTreeSet<String> = self
                    .nodes
                    .iter()
                    .filter(|n| n.alive && n.parent == Some(parent))
                    .map(|n| n.policy.clone())
                    .collect();
                let expected = self.nodes[parent].expected.clone();
                for value in expected {
                    if !existing.contains(&value) {
                        self.add(parent, &value, [value.clone()].into());
                    }
                }
            }
        }
        self.prune(depth);
    }

    /// §6.1.4 (b): applies the policy mappings of certificate `depth`.
    pub fn apply_mappings(
        &mut self,
        depth: usize,
        mappings: &[(String, String)],
        mapping_allowed: bool,
    ) {
        if self.null {
            return;
        }
        let issuer_policies: BTreeSet<&String> = mappings.iter().map(|(i, _)| i).collect();
        for id_p in issuer_policies {
            let mapped: BTreeSet<String> = mappings
                .iter()
                .filter(|(i, _)| i == id_p)
                .map(|(_, s)| s.clone())
                .collect();
            let at = self.at_depth(depth);
            if mapping_allowed {
                let with_p: Vec<usize> = at
                    .iter()
                    .copied()
                    .filter(|&i| self.nodes[i].policy == *id_p)
                    .collect();
                if !with_p.is_empty() {
                    for i in with_p {
                        self.nodes[i].expected = mapped.clone();
                    }
                } else if let Some(parent) = at
                    .iter()
                    .find(|&&i| self.nodes[i].policy == ANY_POLICY)
                    .and_then(|&any| self.nodes[any].parent)
                {
                    self.add(parent, id_p, mapped.clone());
                }
            } else {
                for i in at {
                    if self.nodes[i].policy == *id_p {
                        self.nodes[i].alive = false;
                    }
                }
                self.prune(depth);
            }
        }
    }

    /// §6.1.5 (g): intersects with the user-initial-policy-set at final depth `n`.
    pub fn intersect(&mut self, n: usize, user: &[String]) {
        if self.null || user.iter().any(|p| p == ANY_POLICY) {
            return;
        }
        // The valid_policy_node_set: nodes whose parent is an anyPolicy node.
        let set: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| {
                self.nodes[i].alive
                    && self.nodes[i]
                        .parent
                        .is_some_and(|p| self.nodes[p].alive && self.nodes[p].policy == ANY_POLICY)
            })
            .collect();
        for &i in &set {
            let p = &self.nodes[i].policy;
            if p != ANY_POLICY && !user.contains(p) {
                self.kill_subtree(i);
            }
        }
        // An anyPolicy leaf at depth n stands for every user policy not otherwise present.
        let leaves_any: Vec<usize> = self
            .at_depth(n)
            .into_iter()
            .filter(|&i| self.nodes[i].policy == ANY_POLICY)
            .collect();
        if !leaves_any.is_empty() {
            let present: BTreeSet<String> = set
                .iter()
                .filter(|&&i| self.nodes[i].alive)
                .map(|&i| self.nodes[i].policy.clone())
                .collect();
            for &leaf in &leaves_any {
                if let Some(parent) = self.nodes[leaf].parent {
                    for p in user {
                        if !present.contains(p) {
                            self.add(parent, p, [p.clone()].into());
                        }
                    }
                }
                self.nodes[leaf].alive = false;
            }
        }
        self.prune(n);
    }

    fn kill_subtree(&mut self, i: usize) {
        self.nodes[i].alive = false;
        let children: Vec<usize> = (0..self.nodes.len())
            .filter(|&c| self.nodes[c].alive && self.nodes[c].parent == Some(i))
            .collect();
        for c in children {
            self.kill_subtree(c);
        }
    }
}

impl Default for PolicyTree {
    fn default() -> Self {
        Self::new()
    }
}
