//! The playbook's section 7 placeholder.
