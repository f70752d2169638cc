//! Facts one check learns and later checks use (caller ARN, account, resolved model...).
//! Stored by type, so each kind of fact is a plain struct owned by the check that finds it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Default)]
pub struct Facts(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl Facts {
    pub fn insert<T: Any + Send + Sync>(&mut self, fact: T) {
        self.0.insert(TypeId::of::<T>(), Arc::new(fact));
    }

    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|f| f.downcast_ref())
    }

    pub fn extend(&mut self, other: &Facts) {
        for (k, v) in &other.0 {
            self.0.insert(*k, v.clone());
        }
    }
}

impl std::fmt::Debug for Facts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Facts({} kinds)", self.0.len())
    }
}
