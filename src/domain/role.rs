//! Who may do what: members file and read, leads also triage and act, admins also administer.

use super::states::words;

words!(
    /// A person's role; each includes the ones before it.
    Role {
        Member = "member",
        Lead = "lead",
        Admin = "admin",
    }
);

impl Role {
    /// Whether this role includes everything `needed` may do.
    pub fn allows(&self, needed: Role) -> bool {
        *self >= needed
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
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
