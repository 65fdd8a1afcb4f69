//! The simulated links between validators: every pair linked at start, cut into partitions,
//! healed. Links are the simulated network's; the validators see only lost messages.

use super::{SimError, Simulation};

impl Simulation {
    pub(super) async fn connect(&mut self, a: usize, b: usize) -> Result<(), SimError> {
        let (Some(pa), Some(pb)) = (self.peer(a).cloned(), self.peer(b).cloned()) else {
            return Err(SimError::Network(format!("no validator {a} or {b}")));
        };
        let link = self.config.link.clone();
        for (from, to) in [(pa.clone(), pb.clone()), (pb, pa)] {
            self.oracle
                .add_link(from, to, link.clone())
                .await
                .map_err(|e| SimError::Network(e.to_string()))?;
        }
        self.linked.insert((a.min(b), a.max(b)));
        Ok(())
    }

    async fn disconnect(&mut self, a: usize, b: usize) -> Result<(), SimError> {
        let (Some(pa), Some(pb)) = (self.peer(a).cloned(), self.peer(b).cloned()) else {
            return Err(SimError::Network(format!("no validator {a} or {b}")));
        };
        for (from, to) in [(pa.clone(), pb.clone()), (pb, pa)] {
            self.oracle
                .remove_link(from, to)
                .await
                .map_err(|e| SimError::Network(e.to_string()))?;
        }
        self.linked.remove(&(a.min(b), a.max(b)));
        Ok(())
    }

    /// Cuts every link between validators in different `groups`; links within a group stay.
    /// A validator in no group is cut from everyone.
    pub async fn partition(&mut self, groups: &[&[usize]]) -> Result<(), SimError> {
        let group_of = |i: usize| groups.iter().position(|g| g.contains(&i));
        let cut: Vec<(usize, usize)> = self
            .linked
            .iter()
            .copied()
            .filter(|&(a, b)| group_of(a).is_none() || group_of(a) != group_of(b))
            .collect();
        tracing::info!(?groups, "partitioning");
        for (a, b) in cut {
            self.disconnect(a, b).await?;
        }
        Ok(())
    }

    /// Restores every link.
    pub async fn heal(&mut self) -> Result<(), SimError> {
        tracing::info!("healing");
        let size = self.size();
        for a in 0..size {
            for b in a + 1..size {
                if !self.linked.contains(&(a, b)) {
                    self.connect(a, b).await?;
                }
            }
        }
        Ok(())
    }
}
