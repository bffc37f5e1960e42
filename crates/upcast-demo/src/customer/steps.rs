//! The four steps between customer versions.

use upcast::{Context, Upcast, UpcastError};

use super::{Address, Customer, CustomerV1, CustomerV2, CustomerV3, CustomerV4, PersonName};

/// A rename: `mail` became `email`.
#[upcast::register]
impl From<CustomerV1> for CustomerV2 {
    fn from(v1: CustomerV1) -> Self {
        CustomerV2 {
            id: v1.id,
            name: v1.name,
            email: v1.mail,
            city: v1.city,
            country: v1.country,
        }
    }
}

/// A split: the full name became given and family names, at the last space.
#[upcast::register]
impl From<CustomerV2> for CustomerV3 {
    fn from(v2: CustomerV2) -> Self {
        let (first_name, last_name) = match v2.name.trim().rsplit_once(' ') {
            Some((first, last)) => (first.trim().to_owned(), last.to_owned()),
            None => (v2.name.trim().to_owned(), String::new()),
        };
        CustomerV3 {
            id: v2.id,
            first_name,
            last_name,
            email: v2.email,
            city: v2.city,
            country: v2.country,
        }
    }
}

/// A change of type: numeric ids became `cus_` and six digits.
#[upcast::register]
impl From<CustomerV3> for CustomerV4 {
    fn from(v3: CustomerV3) -> Self {
        CustomerV4 {
            id: format!("cus_{:06}", v3.id),
            first_name: v3.first_name,
            last_name: v3.last_name,
            email: v3.email,
            city: v3.city,
            country: v3.country,
        }
    }
}

/// New nested structures, a lookup that can fail, and metadata from the envelope.
#[upcast::register]
impl Upcast for CustomerV4 {
    type Next = Customer;

    fn upcast(self, cx: &Context) -> Result<Customer, UpcastError> {
        let country = super::iso_code(&self.country).ok_or_else(|| {
            UpcastError::new(format!(
                "unknown country `{}` of customer `{}`",
                self.country, self.id
            ))
        })?;
        let since = cx.metadata().get_str("at").map(str::to_owned);
        Ok(Customer {
            id: self.id,
            name: PersonName {
                first: self.first_name,
                last: self.last_name,
            },
            email: self.email,
            address: Address {
                city: self.city,
                country: country.to_owned(),
            },
            since,
        })
    }
}
