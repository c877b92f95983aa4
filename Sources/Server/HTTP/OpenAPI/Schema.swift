/// A JSON Schema (2020-12, as OpenAPI 3.1 uses it), limited to what this API needs. Request
/// bodies are checked against their schema's property names, so the document and the server
/// agree on which fields exist.
struct Schema: Sendable {
    var type: String?
    var nullable = false
    var description: String?
    var format: String?
    var minimum: Int64?
    var maximum: Int64?
    var minLength: Int?
    var maxLength: Int?
    var pattern: String?
    var values: [String]?
    /// For arrays: the element schema (zero or one).
    var items: [Schema] = []
    var properties: [(name: String, schema: Schema)] = []
    var required: [String] = []
    /// Objects allow no properties beyond those listed, unless opened (the OpenAPI document itself).
    var closed = true
    /// A `$ref` to a component schema; the other fields are then unused.
    var reference: String?

    var propertyNames: [String] { properties.map(\.name) }

    static func ref(_ name: String) -> Schema { Schema(reference: name) }

    static func string(
        _ description: String? = nil, minLength: Int? = nil, maxLength: Int? = nil, format: String? = nil, pattern: String? = nil, values: [String]? = nil
    ) -> Schema {
        Schema(type: "string", description: description, format: format, minLength: minLength, maxLength: maxLength, pattern: pattern, values: values)
    }

    static func integer(_ description: String? = nil, minimum: Int64? = nil, maximum: Int64? = nil, format: String = "int64") -> Schema {
        Schema(type: "integer", description: description, format: format, minimum: minimum, maximum: maximum)
    }

    static func integer(_ description: String? = nil, _ range: ClosedRange<Int32>) -> Schema {
        integer(description, minimum: Int64(range.lowerBound), maximum: Int64(range.upperBound), format: "int32")
    }

    static func integer(_ description: String? = nil, _ range: ClosedRange<Int64>) -> Schema {
        integer(description, minimum: range.lowerBound, maximum: range.upperBound)
    }

    static func boolean(_ description: String? = nil) -> Schema { Schema(type: "boolean", description: description) }

    static func array(_ element: Schema, _ description: String? = nil) -> Schema { Schema(type: "array", description: description, items: [element]) }

    /// An object with exactly these properties: `required` lists those that are always present
    /// (in a response) or must be sent (in a request); no others are allowed.
    static func object(_ description: String? = nil, _ properties: [(String, Schema)], required: [String]) -> Schema {
        Schema(type: "object", description: description, properties: properties.map { (name: $0.0, schema: $0.1) }, required: required)
    }

    /// The same schema, also allowing null.
    var orNull: Schema {
        var copy = self
        copy.nullable = true
        return copy
    }

    var json: JSONValue {
        if let reference {
            let ref: JSONValue = .object([("$ref", .string("#/components/schemas/\(reference)"))])
            return nullable ? .object([("oneOf", .array([ref, .object([("type", "null")])]))]) : ref
        }
        var fields: [(String, JSONValue)] = []
        if let type { fields.append(("type", nullable ? .array([.string(type), "null"]) : .string(type))) }
        if let description { fields.append(("description", .string(description))) }
        if let format { fields.append(("format", .string(format))) }
        if let minimum { fields.append(("minimum", .integer(minimum))) }
        if let maximum { fields.append(("maximum", .integer(maximum))) }
        if let minLength { fields.append(("minLength", .integer(Int64(minLength)))) }
        if let maxLength { fields.append(("maxLength", .integer(Int64(maxLength)))) }
        if let pattern { fields.append(("pattern", .string(pattern))) }
        if let values { fields.append(("enum", .array(values.map(JSONValue.string) + (nullable ? [.null] : [])))) }
        if let element = items.first { fields.append(("items", element.json)) }
        if type == "object" && closed {
            fields.append(("properties", .object(properties.map { ($0.name, $0.schema.json) })))
            if !required.isEmpty { fields.append(("required", .array(required.map(JSONValue.string)))) }
            fields.append(("additionalProperties", false))
        }
        return .object(fields)
    }
}
