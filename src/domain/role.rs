//! Who may do what: members file and read, leads also triage and act, admins also administer.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Lead,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Member, Role::Lead, Role::Admin];

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "member" => Some(Self::Member),
            "lead" => Some(Self::Lead),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Lead => "lead",
            Self::Admin => "admin",
        }
    }

    /// Whether this role includes everything `needed` may do.
    pub fn allows(&self, needed: Role) -> bool {
        *self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest() {
        assert!(Role::Admin.allows(Role::Lead));
        assert!(Role::Lead.allows(Role::Member));
        assert!(!Role::Member.allows(Role::Lead));
        assert!(!Role::Lead.allows(Role::Admin));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
