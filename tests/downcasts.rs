//! Downcasts: writing at an older version, reading newer records as older types, nothing
//! lost through an older writer, pinned writers, and the registry's checks.

use std::ffi::OsStr;
use std::process::Command;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use upcast::{
    Context, Downcast, Layout, Problem, Registry, Stored, Tag, Upcast, UpcastError, Version,
    Versioned, WRITE_AT_VAR, Writer,
};

use super::fixtures::error;

/// `test.down.user`, version 1: one name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.down.user", version = 1)]
pub struct UserV1 {
    pub name: String,
}

/// Version 2: the name split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.down.user", version = 2)]
#[serde(deny_unknown_fields)]
pub struct UserV2 {
    pub first: String,
    pub last: String,
}

/// Version 3: an email, which older versions have no field for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.down.user", version = "3.0.0")]
pub struct User {
    pub first: String,
    pub last: String,
    pub email: Option<String>,
}

#[upcast::register]
impl Upcast for UserV1 {
    type Next = UserV2;
    fn upcast(self, cx: &Context) -> Result<UserV2, UpcastError> {
        // Written by a version 2 writer through the downcast below: the split it had.
        if let Some((first, last)) = cx.take_back::<(String, String)>("split")?
            && format!("{first} {last}") == self.name
        {
            return Ok(UserV2 { first, last });
        }
        let (first, last) = self.name.rsplit_once(' ').unwrap_or((&self.name, ""));
        Ok(UserV2 {
            first: first.into(),
            last: last.into(),
        })
    }
}

#[upcast::register]
impl Upcast for UserV2 {
    type Next = User;
    fn upcast(self, cx: &Context) -> Result<User, UpcastError> {
        Ok(User {
            first: self.first,
            last: self.last,
            email: cx.take_back("email")?.flatten(),
        })
    }
}

#[upcast::register]
impl Downcast for User {
    type Prev = UserV2;
    fn downcast(self, cx: &Context) -> Result<UserV2, UpcastError> {
        if self.email.is_some() {
            cx.set_aside("email", &self.email)?;
        }
        Ok(UserV2 {
            first: self.first,
            last: self.last,
        })
    }
}

#[upcast::register]
impl Downcast for UserV2 {
    type Prev = UserV1;
    fn downcast(self, cx: &Context) -> Result<UserV1, UpcastError> {
        cx.set_aside("split", &(&self.first, &self.last))?;
        Ok(UserV1 {
            name: format!("{} {}", self.first, self.last),
        })
    }
}

fn ada() -> User {
    User {
        first: "Mary Ann".into(),
        last: "Evans".into(),
        email: Some("george@example.com".into()),
    }
}

const V1: Version = Version::new(1, 0, 0);
const V2: Version = Version::new(2, 0, 0);

#[test]
fn a_two_step_downcast_write_sets_aside_what_each_version_cannot_hold() {
    let bytes = upcast::to_vec_at(&ada(), &V1).unwrap();
    let stored: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        stored,
        json!({
            "kind": "test.down.user", "version": 1,
            "_set_aside": {"2.0.0": {"split": ["Mary Ann", "Evans"]}, "3.0.0": {"email": "george@example.com"}},
            "data": {"name": "Mary Ann Evans"},
        })
    );
    assert!(bytes.starts_with(br#"{"kind":"test.down.user","version":1,"_set_aside":"#));
}

#[test]
fn the_round_trip_through_an_older_writer_loses_nothing_in_both_layouts() {
    for layout in [Layout::envelope(), Layout::inline("v")] {
        for version in [V1, V2] {
            let bytes = layout.to_vec_at(&ada(), &version).unwrap();
            let back: User = layout.from_slice(&bytes).unwrap();
            assert_eq!(
                back,
                ada(),
                "{layout:?} at {version}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
    let inline = Layout::inline("v").to_vec_at(&ada(), &V2).unwrap();
    assert!(
        inline.starts_with(
            br#"{"v":2,"_set_aside":{"3.0.0":{"email":"george@example.com"}},"first":"#
        )
    );
    let old: UserV2 = Layout::inline("v").from_slice(&inline).unwrap();
    assert_eq!(
        old.first, "Mary Ann",
        "the reserved member is hidden from the record's type"
    );
}

#[test]
fn an_old_service_rewriting_the_record_keeps_what_it_cannot_see() {
    let written_by_new = upcast::to_vec_at(&ada(), &V2).unwrap();
    let old_service = upcast::from_slice_migrating::<UserV2>(&written_by_new).unwrap();
    assert!(old_service.rewrite.is_none(), "already at version 2");
    let renamed = UserV2 {
        last: "Eliot".into(),
        ..old_service.value
    };
    let v1_reader = upcast::from_slice_migrating::<UserV1>(&written_by_new).unwrap();
    let rewritten = v1_reader.rewrite.unwrap();
    let back: User = upcast::from_slice(&rewritten).unwrap();
    assert_eq!(
        back,
        ada(),
        "a version 1 service's rewrite keeps the email and the split"
    );
    let again = upcast::to_vec_at(
        &User {
            last: renamed.last.clone(),
            ..ada()
        },
        &V2,
    )
    .unwrap();
    assert_eq!(upcast::from_slice::<User>(&again).unwrap().last, "Eliot");
}

#[test]
fn a_newer_record_reads_as_an_older_type() {
    let current = upcast::to_vec(&ada()).unwrap();
    let v1: UserV1 = upcast::from_slice(&current).unwrap();
    assert_eq!(v1.name, "Mary Ann Evans");
    let v2: UserV2 = Layout::inline("v")
        .from_slice(br#"{"v":"3.0.0","first":"A","last":"B","email":null}"#)
        .unwrap();
    assert_eq!(
        v2,
        UserV2 {
            first: "A".into(),
            last: "B".into()
        }
    );
    let external: UserV1 = upcast::from_slice_at(
        &Version::new(3, 0, 0),
        br#"{"first":"A","last":"B","email":null}"#,
    )
    .unwrap();
    assert_eq!(external.name, "A B");
}

#[test]
fn a_record_newer_than_every_version_stays_a_newer_version_error() {
    let newer = br#"{"kind":"test.down.user","version":4,"data":{}}"#;
    let failure = error(upcast::from_slice::<UserV1>(newer));
    assert!(
        matches!(failure, upcast::Error::NewerVersion { .. }),
        "{failure}"
    );
    assert_eq!(
        failure.to_string(),
        "unknown version `4` of `test.down.user`, newest known is `3.0.0`: the record was \
         written by a newer program; upgrade this reader"
    );
}

#[test]
fn conversions_go_down_as_well_as_up() {
    let current = upcast::to_vec(&ada()).unwrap();
    let registry = Registry::global();
    let out = registry
        .reader(&Layout::envelope())
        .convert_to(Stored::new(&current), &V1)
        .unwrap();
    assert_eq!((out.steps, out.tag), (2, Tag::Number(1)));
    assert_eq!(
        upcast::from_slice::<User>(&out.bytes.unwrap()).unwrap(),
        ada()
    );
    let value = registry
        .downcast_value(serde_json::from_slice(&current).unwrap(), &V2)
        .unwrap();
    assert_eq!(value["version"], 2);
    assert_eq!(value["_set_aside"]["3.0.0"]["email"], "george@example.com");
    assert_eq!(
        registry.upcast_value(value).unwrap(),
        serde_json::from_slice::<Value>(&current).unwrap()
    );
}

#[test]
fn the_external_layout_refuses_to_lose_set_aside_values() {
    let failure = error(Layout::external().to_vec_at(&ada(), &V2));
    assert_eq!(
        failure.to_string(),
        "cannot set aside `_set_aside` of `test.down.user`: the external layout has no place for \
         values a downcast set aside; write it in the envelope or the inline layout"
    );
    let plain = User {
        email: None,
        ..ada()
    };
    assert_eq!(
        Layout::external().to_vec_at(&plain, &V2).unwrap(),
        br#"{"first":"Mary Ann","last":"Evans"}"#
    );
}

#[test]
fn a_pinned_writer_writes_each_kind_at_its_pin() {
    let writer = Writer::new(Layout::envelope())
        .pins(" test.down.user = 2 , test.note=2.1.0")
        .unwrap();
    assert_eq!(writer.pinned("test.down.user"), Some(&V2));
    let bytes = writer.to_vec(&ada()).unwrap();
    assert!(bytes.starts_with(br#"{"kind":"test.down.user","version":2,"#));
    let unpinned = writer
        .clone()
        .unpin("test.down.user")
        .to_vec(&ada())
        .unwrap();
    assert_eq!(unpinned, upcast::to_vec(&ada()).unwrap());
    let none = Writer::new(Layout::envelope()).pins("").unwrap();
    assert_eq!(
        none.to_vec(&ada()).unwrap(),
        unpinned,
        "an empty spec pins nothing"
    );
}

/// Set in the environment of the child that [`from_env_in_child`] starts.
const FROM_ENV_CHILD: &str = "UPCAST_TEST_FROM_ENV_CHILD";

/// What `Writer::from_env()` makes of `UPCAST_WRITE_AT` set to `value` (unset: `None`), in
/// a child process: this test binary again, running only
/// `writer_from_env_reads_upcast_write_at`. Setting the variable in this process would
/// race the other tests' threads.
fn from_env_in_child(value: Option<&OsStr>) -> String {
    let mut child = Command::new(std::env::current_exe().expect("the test binary has a path"));
    child
        .args([
            "--exact",
            "downcasts::writer_from_env_reads_upcast_write_at",
        ])
        .args(["--nocapture", "--test-threads", "1"])
        .env(FROM_ENV_CHILD, "1");
    match value {
        Some(value) => child.env(WRITE_AT_VAR, value),
        None => child.env_remove(WRITE_AT_VAR),
    };
    let output = child.output().expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outcome = stdout
        .lines()
        .find_map(|line| line.split_once("from_env: ").map(|(_, outcome)| outcome));
    outcome
        .unwrap_or_else(|| panic!("the child ran no test:\n{stdout}"))
        .to_owned()
}

#[test]
fn writer_from_env_reads_upcast_write_at() {
    if std::env::var_os(FROM_ENV_CHILD).is_some() {
        let outcome = match Writer::from_env() {
            Ok(writer) => match writer.pinned("test.down.user") {
                Some(version) => format!(
                    "test.down.user={version}: {}",
                    String::from_utf8_lossy(&writer.to_vec(&ada()).unwrap())
                ),
                None => "no pin".to_owned(),
            },
            Err(failure) => format!("error: {failure}"),
        };
        println!("from_env: {outcome}");
        return;
    }
    assert_eq!(from_env_in_child(None), "no pin");
    assert_eq!(from_env_in_child(Some("".as_ref())), "no pin");
    let at_1 = upcast::to_vec_at(&ada(), &V1).unwrap();
    assert_eq!(
        from_env_in_child(Some(" test.down.user = 1 , test.note=2.1.0".as_ref())),
        format!("test.down.user=1.0.0: {}", String::from_utf8_lossy(&at_1))
    );
    assert_eq!(
        from_env_in_child(Some("test.down.user".as_ref())),
        "error: invalid write pin `test.down.user`: expected `kind=version`, like \
         `user=2,order=1.1.0`"
    );
    assert_eq!(
        from_env_in_child(Some("test.down.user=2.5".as_ref())),
        "error: unknown version `2.5.0` of `test.down.user`, expected one of `1.0.0`, `2.0.0` \
         or `3.0.0`"
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        assert_eq!(
            from_env_in_child(Some(OsStr::from_bytes(b"test.down.user=\xff"))),
            "error: invalid write pin `test.down.user=\u{fffd}`: `UPCAST_WRITE_AT` is not valid \
             UTF-8",
            "not ignored: that would write at the current version"
        );
    }
}

#[test]
fn bad_pins_are_clear_errors() {
    let writer = || Writer::new(Layout::envelope());
    let cases = [
        (
            "user",
            "invalid write pin `user`: expected `kind=version`, like `user=2,order=1.1.0`",
        ),
        ("=2", "invalid write pin `=2`: the kind is empty"),
        (
            "test.down.user=two",
            "invalid write pin `test.down.user=two`: invalid version `two`: unexpected character \
             't' while parsing major version number",
        ),
        ("nope=1", "unknown kind `nope`, expected one of"),
        (
            "test.down.user=2.5",
            "unknown version `2.5.0` of `test.down.user`, expected one of `1.0.0`, `2.0.0` or `3.0.0`",
        ),
        (
            "test.note=1",
            "no downcast path from `test.note` 2.1.0 to 1.0.0: 2.1.0 has no downcast; add \
             #[upcast::register(downcast)] impl From<Note> for <the previous version's type>",
        ),
    ];
    for (spec, message) in cases {
        let failure = error(writer().pins(spec));
        assert!(
            failure.to_string().starts_with(message),
            "{spec}: {failure}"
        );
    }
}

#[test]
fn a_missing_downcast_path_names_the_kind_both_versions_and_the_missing_downcast() {
    let note = super::fixtures::Note {
        text: "t".into(),
        origin: "o".into(),
        pinned: false,
    };
    let failure = error(upcast::to_vec_at(&note, &V1));
    assert_eq!(
        failure.to_string(),
        "no downcast path from `test.note` 2.1.0 to 1.0.0: 2.1.0 has no downcast; add \
         #[upcast::register(downcast)] impl From<Note> for <the previous version's type>"
    );
    let read = error(upcast::from_slice::<super::fixtures::NoteV1>(
        br#"{"kind":"test.note","version":"2.1.0","data":{"text":"t","origin":"o"}}"#,
    ));
    assert!(
        matches!(read, upcast::Error::MissingDowncast { .. }),
        "{read}"
    );
    assert_eq!(
        read.to_string(),
        "no downcast path from `test.note` 2.1.0 to 1.0.0: 2.1.0 has no downcast; add \
         #[upcast::register(downcast)] impl From<Note> for <the previous version's type>"
    );
}

#[test]
fn a_failing_downcast_says_downcast() {
    let failure = error(upcast::to_vec_at(&Failing { n: 1 }, &V1));
    assert_eq!(
        failure.to_string(),
        "cannot downcast `test.down.failing` from 2.0.0 to 1.0.0: odd"
    );
}

#[derive(Clone, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.down.failing", version = 1)]
pub struct FailingV1 {
    n: u8,
}

#[derive(Clone, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.down.failing", version = 2)]
pub struct Failing {
    n: u8,
}

#[upcast::register]
impl From<FailingV1> for Failing {
    fn from(v1: FailingV1) -> Self {
        Failing { n: v1.n }
    }
}

#[upcast::register(downcast)]
impl TryFrom<Failing> for FailingV1 {
    type Error = UpcastError;
    fn try_from(v2: Failing) -> Result<Self, UpcastError> {
        if v2.n % 2 == 1 {
            return Err(UpcastError::new("odd"));
        }
        Ok(FailingV1 { n: v2.n })
    }
}

/// Hand-implemented versions of `h.down`, for registries with broken downcasts.
macro_rules! version {
    ($name:ident, $tag:expr) => {
        #[derive(Clone, Serialize, Deserialize, JsonSchema)]
        struct $name;
        impl Versioned for $name {
            const KIND: &'static str = "h.down";
            const VERSION: Tag = $tag;
        }
    };
}

version!(D1, Tag::Number(1));
version!(D2, Tag::Number(2));
version!(D3, Tag::Number(3));

impl Upcast for D1 {
    type Next = D3;
    fn upcast(self, _: &Context) -> Result<D3, UpcastError> {
        Ok(D3)
    }
}

impl Upcast for D2 {
    type Next = D3;
    fn upcast(self, _: &Context) -> Result<D3, UpcastError> {
        Ok(D3)
    }
}

impl Downcast for D3 {
    type Prev = D1;
    fn downcast(self, _: &Context) -> Result<D1, UpcastError> {
        Ok(D1)
    }
}

impl Downcast for D1 {
    type Prev = D2;
    fn downcast(self, _: &Context) -> Result<D2, UpcastError> {
        Ok(D2)
    }
}

#[test]
fn a_downcast_must_undo_a_step() {
    let built = Registry::builder()
        .version::<D1>()
        .version::<D2>()
        .version::<D3>()
        .step::<D1>()
        .step::<D2>()
        .downcast::<D3>()
        .downcast::<D1>()
        .build();
    let Err(upcast::Error::InvalidRegistry(problems)) = built else {
        panic!("expected problems");
    };
    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "the downcast from `h.down` 1.0.0 to 2.0.0 does not undo a step: 2.0.0 steps to \
             3.0.0; a downcast goes back from a version to the one whose step leads to it"
        ],
        "3 -> 1 undoes 1's step to 3; 1 -> 2 goes forward"
    );
    assert!(matches!(problems[0], Problem::DowncastNotBack { .. }));
    let fine = Registry::builder()
        .version::<D1>()
        .version::<D2>()
        .version::<D3>()
        .step::<D1>()
        .step::<D2>()
        .downcast::<D3>()
        .build();
    assert!(fine.is_ok());
}

#[test]
fn a_downcast_to_an_unregistered_version_is_a_problem() {
    let built = Registry::builder().version::<D3>().downcast::<D3>().build();
    let Err(upcast::Error::InvalidRegistry(problems)) = built else {
        panic!("expected problems");
    };
    assert_eq!(
        problems[0].to_string(),
        "a downcast goes to `main::downcasts::D1` (`h.down` 1), which is not a registered \
         version; derive upcast::Versioned on it"
    );
}

#[test]
fn the_demo_customer_round_trips_through_a_version_4_writer() {
    use upcast_demo::customer::{Address, Customer, CustomerV4, PersonName};
    let customer = |country: &str| Customer {
        id: "cus_000042".into(),
        name: PersonName {
            first: "Grace".into(),
            last: "Hopper".into(),
        },
        email: "grace@example.com".into(),
        address: Address {
            city: "Arlington".into(),
            country: country.into(),
        },
        since: Some("2024-05-06T07:08:09Z".into()),
    };
    let v4 = Version::new(4, 0, 0);
    let writer = Writer::new(Layout::envelope()).pins("customer=4").unwrap();
    for country in ["US", "XX"] {
        let bytes = writer.to_vec(&customer(country)).unwrap();
        let old: CustomerV4 = upcast::from_slice(&bytes).unwrap();
        let expected = if country == "US" {
            "United States"
        } else {
            "XX"
        };
        assert_eq!(old.country, expected, "what a version 4 reader sees");
        assert_eq!(
            upcast::from_slice::<Customer>(&bytes).unwrap(),
            customer(country)
        );
        assert_eq!(upcast::to_vec_at(&customer(country), &v4).unwrap(), bytes);
    }
    let edited = br#"{"kind":"customer","version":4,"_set_aside":{"5.0.0":{"country":"XX"}},"data":{"id":"cus_1","first_name":"G","last_name":"H","email":"e","city":"c","country":"Atlantis"}}"#;
    let failure = error(upcast::from_slice::<Customer>(edited));
    assert!(
        failure.to_string().contains("unknown country `Atlantis`"),
        "a country changed since is not overwritten by the code set aside: {failure}"
    );
}

/// The playbook's rollback: the new build rewrites version 5 records down to 4 before the
/// old binary comes back, as a pinned writer would have written them.
#[test]
fn a_rollback_rewrites_version_5_records_down_to_4() {
    use upcast_demo::customer::{Customer, CustomerV4};
    let customer = Customer::sample(7);
    let at_5 = upcast::to_vec(&customer).unwrap();
    let read = upcast::from_slice_migrating::<CustomerV4>(&at_5).unwrap();
    assert_eq!(read.stored, Some(Version::new(5, 0, 0)));
    let at_4 = read.rewrite.expect("a version 5 record is rewritten at 4");
    let pinned = Writer::new(Layout::envelope())
        .pins("customer=4")
        .unwrap()
        .to_vec(&customer)
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&at_4),
        String::from_utf8_lossy(&pinned),
        "what a writer pinned at 4 writes"
    );
    let converted = Registry::global()
        .reader(&Layout::envelope())
        .convert_to(Stored::new(&at_5), &Version::new(4, 0, 0))
        .unwrap();
    assert_eq!(converted.bytes.as_deref(), Some(&at_4[..]));
    assert_eq!(upcast::from_slice::<Customer>(&at_4).unwrap(), customer);
    let again = upcast::from_slice_migrating::<CustomerV4>(&at_4).unwrap();
    assert!(again.rewrite.is_none(), "at 4 already");
}

/// The guide's example: the demo's `customer` has a downcast from 5 to 4 alone.
#[test]
fn a_newer_record_with_no_downcast_on_the_way_back_names_the_one_to_add() {
    use upcast_demo::customer::CustomerV2;
    let v3 = br#"{"kind":"customer","version":3,"data":{"id":1,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.org","city":"London","country":"United Kingdom"}}"#;
    let failure = error(upcast::from_slice::<CustomerV2>(v3));
    assert_eq!(
        failure.to_string(),
        "no downcast path from `customer` 3.0.0 to 2.0.0: 3.0.0 has no downcast; add \
         #[upcast::register(downcast)] impl From<CustomerV3> for <the previous version's type>"
    );
}
