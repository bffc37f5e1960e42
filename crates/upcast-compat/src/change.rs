//! The catalogue of change types, named as Confluent Schema Registry names them, and which
//! of them each policy accepts.

use std::fmt;

use super::Policy;

/// Defines the change types, their Confluent names and the list of all of them.
macro_rules! change_types {
    ($($variant:ident => $name:literal,)*) => {
        /// A kind of difference between two JSON Schemas, as Confluent Schema Registry's
        /// JSON Schema checker classifies it.
        ///
        /// ```
        /// use upcast_compat::{ChangeType, Policy};
        ///
        /// let change = ChangeType::OptionalPropertyAddedToOpenContentModel;
        /// assert!(!change.is_compatible(Policy::Strict));
        /// assert!(change.is_compatible(Policy::Lenient));
        /// assert_eq!(change.to_string(), "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL");
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #[allow(missing_docs)] // each variant is its Confluent name, which says what it is
        pub enum ChangeType {
            $($variant,)*
        }

        impl ChangeType {
            /// Every change type.
            pub const ALL: &[ChangeType] = &[$(ChangeType::$variant,)*];

            /// The Confluent name, such as `TYPE_CHANGED`.
            ///
            /// ```
            /// assert_eq!(upcast_compat::ChangeType::TypeChanged.as_str(), "TYPE_CHANGED");
            /// ```
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ChangeType::$variant => $name,)*
                }
            }
        }
    };
}

change_types! {
    IdChanged => "ID_CHANGED",
    DescriptionChanged => "DESCRIPTION_CHANGED",
    TitleChanged => "TITLE_CHANGED",
    DefaultChanged => "DEFAULT_CHANGED",
    SchemaAdded => "SCHEMA_ADDED",
    SchemaRemoved => "SCHEMA_REMOVED",
    TypeExtended => "TYPE_EXTENDED",
    TypeNarrowed => "TYPE_NARROWED",
    TypeChanged => "TYPE_CHANGED",
    MaxLengthAdded => "MAX_LENGTH_ADDED",
    MaxLengthRemoved => "MAX_LENGTH_REMOVED",
    MaxLengthIncreased => "MAX_LENGTH_INCREASED",
    MaxLengthDecreased => "MAX_LENGTH_DECREASED",
    MinLengthAdded => "MIN_LENGTH_ADDED",
    MinLengthRemoved => "MIN_LENGTH_REMOVED",
    MinLengthIncreased => "MIN_LENGTH_INCREASED",
    MinLengthDecreased => "MIN_LENGTH_DECREASED",
    PatternAdded => "PATTERN_ADDED",
    PatternRemoved => "PATTERN_REMOVED",
    PatternChanged => "PATTERN_CHANGED",
    MaximumAdded => "MAXIMUM_ADDED",
    MaximumRemoved => "MAXIMUM_REMOVED",
    MaximumIncreased => "MAXIMUM_INCREASED",
    MaximumDecreased => "MAXIMUM_DECREASED",
    MinimumAdded => "MINIMUM_ADDED",
    MinimumRemoved => "MINIMUM_REMOVED",
    MinimumIncreased => "MINIMUM_INCREASED",
    MinimumDecreased => "MINIMUM_DECREASED",
    ExclusiveMaximumAdded => "EXCLUSIVE_MAXIMUM_ADDED",
    ExclusiveMaximumRemoved => "EXCLUSIVE_MAXIMUM_REMOVED",
    ExclusiveMaximumIncreased => "EXCLUSIVE_MAXIMUM_INCREASED",
    ExclusiveMaximumDecreased => "EXCLUSIVE_MAXIMUM_DECREASED",
    ExclusiveMinimumAdded => "EXCLUSIVE_MINIMUM_ADDED",
    ExclusiveMinimumRemoved => "EXCLUSIVE_MINIMUM_REMOVED",
    ExclusiveMinimumIncreased => "EXCLUSIVE_MINIMUM_INCREASED",
    ExclusiveMinimumDecreased => "EXCLUSIVE_MINIMUM_DECREASED",
    MultipleOfAdded => "MULTIPLE_OF_ADDED",
    MultipleOfRemoved => "MULTIPLE_OF_REMOVED",
    MultipleOfExpanded => "MULTIPLE_OF_EXPANDED",
    MultipleOfReduced => "MULTIPLE_OF_REDUCED",
    MultipleOfChanged => "MULTIPLE_OF_CHANGED",
    RequiredAttributeAdded => "REQUIRED_ATTRIBUTE_ADDED",
    RequiredAttributeWithDefaultAdded => "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
    RequiredAttributeRemoved => "REQUIRED_ATTRIBUTE_REMOVED",
    MaxPropertiesAdded => "MAX_PROPERTIES_ADDED",
    MaxPropertiesRemoved => "MAX_PROPERTIES_REMOVED",
    MaxPropertiesIncreased => "MAX_PROPERTIES_INCREASED",
    MaxPropertiesDecreased => "MAX_PROPERTIES_DECREASED",
    MinPropertiesAdded => "MIN_PROPERTIES_ADDED",
    MinPropertiesRemoved => "MIN_PROPERTIES_REMOVED",
    MinPropertiesIncreased => "MIN_PROPERTIES_INCREASED",
    MinPropertiesDecreased => "MIN_PROPERTIES_DECREASED",
    AdditionalPropertiesAdded => "ADDITIONAL_PROPERTIES_ADDED",
    AdditionalPropertiesRemoved => "ADDITIONAL_PROPERTIES_REMOVED",
    AdditionalPropertiesExtended => "ADDITIONAL_PROPERTIES_EXTENDED",
    AdditionalPropertiesNarrowed => "ADDITIONAL_PROPERTIES_NARROWED",
    DependencyArrayAdded => "DEPENDENCY_ARRAY_ADDED",
    DependencyArrayRemoved => "DEPENDENCY_ARRAY_REMOVED",
    DependencyArrayExtended => "DEPENDENCY_ARRAY_EXTENDED",
    DependencyArrayNarrowed => "DEPENDENCY_ARRAY_NARROWED",
    DependencyArrayChanged => "DEPENDENCY_ARRAY_CHANGED",
    DependencySchemaAdded => "DEPENDENCY_SCHEMA_ADDED",
    DependencySchemaRemoved => "DEPENDENCY_SCHEMA_REMOVED",
    RequiredPropertyAddedToOpenContentModel => "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    RequiredPropertyWithDefaultAddedToOpenContentModel => "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
    OptionalPropertyAddedToOpenContentModel => "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
    PropertyWithEmptySchemaAddedToOpenContentModel => "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    RequiredPropertyAddedToUnopenContentModel => "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    RequiredPropertyWithDefaultAddedToUnopenContentModel => "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
    OptionalPropertyAddedToUnopenContentModel => "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
    PropertyRemovedFromOpenContentModel => "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    PropertyWithFalseRemovedFromClosedContentModel => "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    PropertyRemovedFromClosedContentModel => "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    PropertyRemovedIsCoveredByPartiallyOpenContentModel => "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    PropertyRemovedNotCoveredByPartiallyOpenContentModel => "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    PropertyAddedIsCoveredByPartiallyOpenContentModel => "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    PropertyAddedNotCoveredByPartiallyOpenContentModel => "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    UnevaluatedPropertiesAdded => "UNEVALUATED_PROPERTIES_ADDED",
    UnevaluatedPropertiesRemoved => "UNEVALUATED_PROPERTIES_REMOVED",
    UnevaluatedPropertiesExtended => "UNEVALUATED_PROPERTIES_EXTENDED",
    UnevaluatedPropertiesNarrowed => "UNEVALUATED_PROPERTIES_NARROWED",
    MaxItemsAdded => "MAX_ITEMS_ADDED",
    MaxItemsRemoved => "MAX_ITEMS_REMOVED",
    MaxItemsIncreased => "MAX_ITEMS_INCREASED",
    MaxItemsDecreased => "MAX_ITEMS_DECREASED",
    MinItemsAdded => "MIN_ITEMS_ADDED",
    MinItemsRemoved => "MIN_ITEMS_REMOVED",
    MinItemsIncreased => "MIN_ITEMS_INCREASED",
    MinItemsDecreased => "MIN_ITEMS_DECREASED",
    MaxContainsAdded => "MAX_CONTAINS_ADDED",
    MaxContainsRemoved => "MAX_CONTAINS_REMOVED",
    MaxContainsIncreased => "MAX_CONTAINS_INCREASED",
    MaxContainsDecreased => "MAX_CONTAINS_DECREASED",
    MinContainsAdded => "MIN_CONTAINS_ADDED",
    MinContainsRemoved => "MIN_CONTAINS_REMOVED",
    MinContainsIncreased => "MIN_CONTAINS_INCREASED",
    MinContainsDecreased => "MIN_CONTAINS_DECREASED",
    UniqueItemsAdded => "UNIQUE_ITEMS_ADDED",
    UniqueItemsRemoved => "UNIQUE_ITEMS_REMOVED",
    AdditionalItemsAdded => "ADDITIONAL_ITEMS_ADDED",
    AdditionalItemsRemoved => "ADDITIONAL_ITEMS_REMOVED",
    AdditionalItemsExtended => "ADDITIONAL_ITEMS_EXTENDED",
    AdditionalItemsNarrowed => "ADDITIONAL_ITEMS_NARROWED",
    UnevaluatedItemsAdded => "UNEVALUATED_ITEMS_ADDED",
    UnevaluatedItemsRemoved => "UNEVALUATED_ITEMS_REMOVED",
    UnevaluatedItemsExtended => "UNEVALUATED_ITEMS_EXTENDED",
    UnevaluatedItemsNarrowed => "UNEVALUATED_ITEMS_NARROWED",
    ItemAddedToOpenContentModel => "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
    ItemWithEmptySchemaAddedToOpenContentModel => "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
    ItemAddedToClosedContentModel => "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
    ItemRemovedFromOpenContentModel => "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
    ItemWithFalseRemovedFromClosedContentModel => "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ItemRemovedFromClosedContentModel => "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
    ItemRemovedIsCoveredByPartiallyOpenContentModel => "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    ItemRemovedNotCoveredByPartiallyOpenContentModel => "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    ItemAddedIsCoveredByPartiallyOpenContentModel => "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    ItemAddedNotCoveredByPartiallyOpenContentModel => "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    EnumArrayExtended => "ENUM_ARRAY_EXTENDED",
    EnumArrayNarrowed => "ENUM_ARRAY_NARROWED",
    EnumArrayChanged => "ENUM_ARRAY_CHANGED",
    CombinedTypeExtended => "COMBINED_TYPE_EXTENDED",
    CombinedTypeChanged => "COMBINED_TYPE_CHANGED",
    ProductTypeExtended => "PRODUCT_TYPE_EXTENDED",
    ProductTypeNarrowed => "PRODUCT_TYPE_NARROWED",
    SumTypeExtended => "SUM_TYPE_EXTENDED",
    SumTypeNarrowed => "SUM_TYPE_NARROWED",
    CombinedTypeSubschemasChanged => "COMBINED_TYPE_SUBSCHEMAS_CHANGED",
    NotTypeExtended => "NOT_TYPE_EXTENDED",
    NotTypeNarrowed => "NOT_TYPE_NARROWED",
}

impl ChangeType {
    /// Whether `policy` accepts this change as backward compatible.
    ///
    /// See the example on [`ChangeType`].
    pub fn is_compatible(self, policy: Policy) -> bool {
        self.is_compatible_strictly()
            || (policy == Policy::Lenient && self.is_compatible_leniently())
    }

    fn is_compatible_strictly(self) -> bool {
        matches!(
            self,
            ChangeType::IdChanged
                | ChangeType::DescriptionChanged
                | ChangeType::TitleChanged
                | ChangeType::DefaultChanged
                | ChangeType::SchemaRemoved
                | ChangeType::TypeExtended
                | ChangeType::MaxLengthIncreased
                | ChangeType::MaxLengthRemoved
                | ChangeType::MinLengthDecreased
                | ChangeType::MinLengthRemoved
                | ChangeType::PatternRemoved
                | ChangeType::MaximumIncreased
                | ChangeType::MaximumRemoved
                | ChangeType::MinimumDecreased
                | ChangeType::MinimumRemoved
                | ChangeType::ExclusiveMaximumIncreased
                | ChangeType::ExclusiveMaximumRemoved
                | ChangeType::ExclusiveMinimumDecreased
                | ChangeType::ExclusiveMinimumRemoved
                | ChangeType::MultipleOfReduced
                | ChangeType::MultipleOfRemoved
                | ChangeType::RequiredAttributeWithDefaultAdded
                | ChangeType::RequiredAttributeRemoved
                | ChangeType::DependencyArrayNarrowed
                | ChangeType::DependencyArrayRemoved
                | ChangeType::DependencySchemaRemoved
                | ChangeType::MaxPropertiesIncreased
                | ChangeType::MaxPropertiesRemoved
                | ChangeType::MinPropertiesDecreased
                | ChangeType::MinPropertiesRemoved
                | ChangeType::AdditionalPropertiesAdded
                | ChangeType::AdditionalPropertiesExtended
                | ChangeType::UnevaluatedPropertiesAdded
                | ChangeType::UnevaluatedPropertiesExtended
                | ChangeType::PropertyWithEmptySchemaAddedToOpenContentModel
                | ChangeType::RequiredPropertyWithDefaultAddedToUnopenContentModel
                | ChangeType::OptionalPropertyAddedToUnopenContentModel
                | ChangeType::PropertyWithFalseRemovedFromClosedContentModel
                | ChangeType::PropertyRemovedFromOpenContentModel
                | ChangeType::PropertyAddedIsCoveredByPartiallyOpenContentModel
                | ChangeType::PropertyRemovedIsCoveredByPartiallyOpenContentModel
                | ChangeType::MaxItemsIncreased
                | ChangeType::MaxItemsRemoved
                | ChangeType::MinItemsDecreased
                | ChangeType::MinItemsRemoved
                | ChangeType::UniqueItemsRemoved
                | ChangeType::AdditionalItemsAdded
                | ChangeType::AdditionalItemsExtended
                | ChangeType::UnevaluatedItemsAdded
                | ChangeType::UnevaluatedItemsExtended
                | ChangeType::ItemWithEmptySchemaAddedToOpenContentModel
                | ChangeType::ItemAddedToClosedContentModel
                | ChangeType::ItemWithFalseRemovedFromClosedContentModel
                | ChangeType::ItemRemovedFromOpenContentModel
                | ChangeType::ItemAddedIsCoveredByPartiallyOpenContentModel
                | ChangeType::ItemRemovedIsCoveredByPartiallyOpenContentModel
                | ChangeType::MaxContainsIncreased
                | ChangeType::MaxContainsRemoved
                | ChangeType::MinContainsDecreased
                | ChangeType::MinContainsRemoved
                | ChangeType::EnumArrayExtended
                | ChangeType::CombinedTypeExtended
                | ChangeType::ProductTypeNarrowed
                | ChangeType::SumTypeExtended
                | ChangeType::NotTypeNarrowed
        )
    }

    /// The changes the lenient policy adds: it assumes readers ignore unknown properties,
    /// as serde does.
    fn is_compatible_leniently(self) -> bool {
        matches!(
            self,
            ChangeType::AdditionalPropertiesNarrowed
                | ChangeType::AdditionalPropertiesRemoved
                | ChangeType::UnevaluatedPropertiesNarrowed
                | ChangeType::UnevaluatedPropertiesRemoved
                | ChangeType::OptionalPropertyAddedToOpenContentModel
                | ChangeType::RequiredPropertyWithDefaultAddedToOpenContentModel
                | ChangeType::PropertyRemovedFromClosedContentModel
                | ChangeType::PropertyAddedNotCoveredByPartiallyOpenContentModel
                | ChangeType::PropertyRemovedNotCoveredByPartiallyOpenContentModel
        )
    }
}

impl fmt::Display for ChangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between two schemas: what changed, and where (a JSON pointer into the
/// schemas, `#/properties/name`).
///
/// ```
/// use upcast_compat::{Change, ChangeType};
///
/// let change = Change { change_type: ChangeType::TypeChanged, path: "#/properties/id".into() };
/// assert_eq!(change.to_string(), "TYPE_CHANGED #/properties/id");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Change {
    /// What changed.
    pub change_type: ChangeType,
    /// Where, as a JSON pointer fragment.
    pub path: String,
}

impl Change {
    /// Whether `policy` accepts this change.
    ///
    /// ```
    /// use upcast_compat::{Change, ChangeType, Policy};
    /// let change = Change { change_type: ChangeType::MaxLengthRemoved, path: "#/maxLength".into() };
    /// assert!(change.is_compatible(Policy::Strict));
    /// ```
    pub fn is_compatible(&self, policy: Policy) -> bool {
        self.change_type.is_compatible(policy)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.change_type, self.path)
    }
}
