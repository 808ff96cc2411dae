//! The states and kinds things take, as types: an incident's status and how it joined its
//! cluster, a cluster's state, an action's stage, a sign-off's decision and a person's
//! role. Each is stored as its word (`TEXT` on both backends) and written as that word in
//! JSON; nothing compares the words outside these impls. A rung is a number
//! (`domain::ladder::Rung`, stored as `INTEGER`).

/// A state stored and sent as one of a fixed set of words.
/// Variants order as they are listed.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            ::diesel::expression::AsExpression, ::diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = ::diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<DB: ::diesel::backend::Backend> ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB> for $name
        where
            str: ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut ::diesel::serialize::Output<'b, '_, DB>) -> ::diesel::serialize::Result {
                ::diesel::serialize::ToSql::<::diesel::sql_types::Text, DB>::to_sql(self.as_str(), out)
            }
        }

        impl<DB: ::diesel::backend::Backend> ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB> for $name
        where
            String: ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> ::diesel::deserialize::Result<Self> {
                let word = <String as ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                $name::parse(&word).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " {:?}"), word).into()
                })
            }
        }
    };
}

words!(
    /// Where an incident stands.
    IncidentStatus {
        Open = "open",
        /// Dealt with, with a note of how.
        Handled = "handled",
        /// Taken back by its reporter or a lead: kept, but counted nowhere.
        Withdrawn = "withdrawn",
    }
);

impl IncidentStatus {
    /// Whether the incident counts in the rollups and the review.
    pub fn counts(self) -> bool {
        self != IncidentStatus::Withdrawn
    }
}

words!(
    /// Where a cluster stands on its way up the ladder.
    ClusterState {
        Open = "open",
        /// An action was launched on it.
        Acting = "acting",
        /// An action's verdict was `eliminated`.
        Resolved = "resolved",
        /// A new incident arrived after it was resolved.
        Regressed = "regressed",
    }
);

/// A new cluster is open.
impl Default for ClusterState {
    fn default() -> Self {
        ClusterState::Open
    }
}

words!(
    /// Where an action stands in its rung's workflow (`Rung::stages`).
    ActionStage {
        Planned = "planned",
        Proposed = "proposed",
        Scheduled = "scheduled",
        InDevelopment = "in_development",
        Launched = "launched",
        Cancelled = "cancelled",
    }
);

words!(
    /// How a filing found its cluster.
    JoinReason {
        /// A lead's rule sent it there.
        Rule = "rule",
        /// It was similar enough to the cluster.
        Similar = "similar",
        /// It started a cluster of its own.
        New = "new",
        /// A lead moved it there.
        Lead = "lead",
    }
);

words!(
    /// A department's word on a policy.
    SignoffDecision {
        Approve = "approve",
        Object = "object",
    }
);

pub(crate) use words;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_its_own_word() {
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()), Some(*s));
        }
        for s in ClusterState::ALL {
            assert_eq!(ClusterState::parse(s.as_str()), Some(*s));
        }
        for s in ActionStage::ALL {
            assert_eq!(ActionStage::parse(s.as_str()), Some(*s));
        }
        for s in JoinReason::ALL {
            assert_eq!(JoinReason::parse(s.as_str()), Some(*s));
        }
        for s in SignoffDecision::ALL {
            assert_eq!(SignoffDecision::parse(s.as_str()), Some(*s));
        }
        assert_eq!(IncidentStatus::parse("closed"), None);
        assert_eq!(
            serde_json::to_string(&ActionStage::InDevelopment).unwrap(),
            "\"in_development\""
        );
    }
}
