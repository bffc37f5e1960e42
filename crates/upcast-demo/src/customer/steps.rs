//! The four steps between customer versions, and the downcast from the newest, so a
//! service can keep writing version 4 while its readers move to version 5.

use upcast::{Context, Downcast, Upcast, UpcastError};

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

/// New nested structures, a lookup that can fail, and metadata from the envelope. What a
/// version 4 writer set aside (the `since` date, a country code with no name) comes back.
#[upcast::register]
impl Upcast for CustomerV4 {
    type Next = Customer;

    fn upcast(self, cx: &Context) -> Result<Customer, UpcastError> {
        let country = match super::iso_code(&self.country) {
            Some(code) => code.to_owned(),
            None => match cx.take_back::<String>("country")? {
                Some(code) if code == self.country => code,
                _ => {
                    return Err(UpcastError::new(format!(
                        "unknown country `{}` of customer `{}`",
                        self.country, self.id
                    )));
                }
            },
        };
        let since = match cx.take_back::<String>("since")? {
            Some(since) => Some(since),
            None => cx.metadata().get_str("at").map(str::to_owned),
        };
        Ok(Customer {
            id: self.id,
            name: PersonName {
                first: self.first_name,
                last: self.last_name,
            },
            email: self.email,
            address: Address {
                city: self.city,
                country,
            },
            since,
        })
    }
}

/// Back to version 4 for services that still write it: the nested name and address
/// flattened, the country named again. The `since` date has no field in version 4, and a
/// country code the store has no name for is written as is: both are set aside for the
/// step above to take back.
#[upcast::register]
impl Downcast for Customer {
    type Prev = CustomerV4;

    fn downcast(self, cx: &Context) -> Result<CustomerV4, UpcastError> {
        if let Some(since) = &self.since {
            cx.set_aside("since", since)?;
        }
        let country = match super::country_name(&self.address.country) {
            Some(name) => name.to_owned(),
            None => {
                cx.set_aside("country", &self.address.country)?;
                self.address.country
            }
        };
        Ok(CustomerV4 {
            id: self.id,
            first_name: self.name.first,
            last_name: self.name.last,
            email: self.email,
            city: self.address.city,
            country,
        })
    }
}
