import Testing

@testable import TunePrep

/// The flat boolean pass (``FlatProgram``) must answer exactly as the collecting evaluator does.
@Suite struct SchemaFlatProgramTests {
  /// Instances that take the flat program's special paths: escaped keys and values (decoded
  /// comparison), duplicate keys, names longer than eight bytes, required merged into
  /// properties, the `if` discriminator on a non-string, and leaf nodes on the wrong type.
  static let chatRecords: [(String, Bool)] = [
    (#"{"messages":[{"role":"user","content":"Hi"}]}"#, true),
    (#"{"messages":[{"r\u006fle":"user","content":"Hi"}]}"#, true),
    (#"{"messages":[{"role":"us\u0065r","content":"Hi"}]}"#, true),
    (#"{"messages":[{"role":"assist\u0061nt","content":"Hi"}]}"#, true),
    (#"{"messages":[{"role":"assist\u0061nt","refusal":"no"}]}"#, true),
    (#"{"messages":[{"role":"assistant","refusal":"no"}]}"#, true),
    (#"{"messages":[{"role":"user","refusal":"no"}]}"#, false),
    (#"{"messages":[{"role":"user","content":"Hi","role":"robot"}]}"#, false),
    (#"{"messages":[{"role":"assistant","content":"a","role":"user"}]}"#, true),
    (#"{"messages":[{"role":1,"content":"Hi"}]}"#, false),
    (#"{"messages":[{"content":"Hi"}]}"#, false),
    (#"{"messages":[{"role":"tool","content":"x"}]}"#, false),
    (#"{"messages":[{"role":"tool","content":"x","tool_call_id":"c"}]}"#, true),
    (#"{"messages":[{"role":"tool","content":"x","tool_call_i\u0064":"c"}]}"#, true),
    (#"{"messages":[{"role":"function","content":"x"}]}"#, false),
    (#"{"messages":[{"role":"function","content":"x","name":"f"}]}"#, true),
    (#"{"messages":[{"role":"user","content":""}]}"#, false),
    (#"{"messages":[{"role":"user","content":"\u00e9"}]}"#, true),
    (#"{"messages":[{"role":"user","content":[]}]}"#, false),
    (#"{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}]}"#, true),
    (#"{"messages":[{"role":"user","content":"a","tool_call_idx":"c"}]}"#, false),
    (#"{"messages":[{"role":"user","content":"a","parallel_tool_calls":true}]}"#, false),
    (#"{"messages":[],"tools":[]}"#, false),
    (#"{"messages":[{"role":"user","content":"a"}],"parallel_tool_calls":true}"#, true),
    (#"{"messages":[{"role":"user","content":"a"}],"parallel_tool_calls":1}"#, false),
    (
      #"{"messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"bad name"}}]}"#,
      false
    ),
    (
      #"{"messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"ok_1"}}]}"#,
      true
    ),
    (#"[{"messages":[]}]"#, false),
    (#"{"messages":[{"role":"user","content":"a"}],"extra":1}"#, false),
  ]

  @Test(arguments: chatRecords)
  func chatSchemaFlatPassAgreesWithTheEvaluator(record: String, valid: Bool) throws {
    let schema = try #require(try BuiltinSchemas.compile(named: "openai-chat"))
    #expect(schema.program.flat != nil)
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(record.utf8), into: &document)
    let (collected, errors) = schema.collectErrors(document)
    #expect(schema.isValid(document) == valid, "\(errors.map(\.description))")
    #expect(collected == valid)
  }

  /// Schemas mixing flat instructions with checks the flat program hands to the evaluator.
  static let mixed: [(schema: String, instance: String, valid: Bool)] = [
    (#"{"properties":{"a":{"minimum":3}},"required":["a","b"]}"#, #"{"a":3,"b":0}"#, true),
    (#"{"properties":{"a":{"minimum":3}},"required":["a","b"]}"#, #"{"a":3}"#, false),
    (#"{"properties":{"a":{"minimum":3}},"required":["a"]}"#, #"{"a":2}"#, false),
    (
      #"{"properties":{"abcdefghijk":{"const":"0123456789ab"}}}"#,
      #"{"abcdefghijk":"0123456789ab"}"#, true
    ),
    (
      #"{"properties":{"abcdefghijk":{"const":"0123456789ab"}}}"#,
      #"{"abcdefghijk":"0123456789aX"}"#, false
    ),
    (#"{"properties":{"abcdefghijk":{"const":"0123456789ab"}}}"#, #"{"abcdefghijX":"0"}"#, true),
    (
      #"{"items":{"unevaluatedProperties":false,"properties":{"a":true}}}"#, #"[{"a":1},{"a":2}]"#,
      true
    ),
    (
      #"{"items":{"unevaluatedProperties":false,"properties":{"a":true}}}"#, #"[{"a":1},{"b":2}]"#,
      false
    ),
    (#"{"prefixItems":[{"type":"integer"}],"items":false}"#, #"[1]"#, true),
    (#"{"prefixItems":[{"type":"integer"}],"items":false}"#, #"[1,2]"#, false),
    // `items` after the prefix: one instruction looked up once, several, none, and no rest.
    (#"{"prefixItems":[{"type":"integer"}],"items":{"type":"string"}}"#, #"[1,"a","b"]"#, true),
    (#"{"prefixItems":[{"type":"integer"}],"items":{"type":"string"}}"#, #"[1,"a",2]"#, false),
    (#"{"prefixItems":[{"type":"integer"}],"items":{"type":"string"}}"#, #"["a"]"#, false),
    (#"{"prefixItems":[{"type":"integer"}],"items":{"type":"string"}}"#, #"[]"#, true),
    (#"{"items":{"type":"string","minLength":2}}"#, #"["ab","a"]"#, false),
    (#"{"items":{"minLength":2,"maxLength":3}}"#, #"["ab","abcd"]"#, false),
    (#"{"items":{"minLength":2,"maxLength":3}}"#, #"["ab",5,"abc"]"#, true),
    (#"{"items":{}}"#, #"[1,"a",null]"#, true),
    (#"{"prefixItems":[{"type":"integer"},{"type":"string"}]}"#, #"[1,"a",{}]"#, true),
    (#"{"prefixItems":[{"type":"integer"},{"type":"string"}]}"#, #"[1,2]"#, false),
    (#"{"type":"integer"}"#, #"1.0"#, true),
    (#"{"type":"integer"}"#, #"1.5"#, false),
    (#"{"oneOf":[{"type":"string"},{"minLength":2}]}"#, #""ab""#, false),
    (#"{"not":{"enum":["a","b"]}}"#, #""c""#, true),
    (#"{"if":{"properties":{"a":{"const":"x"}}},"then":false}"#, #"{"a":"x"}"#, false),
    (#"{"if":{"properties":{"a":{"const":"x"}}},"then":false}"#, #"{"a":"x","a":"y"}"#, true),
    (#"{"if":{"properties":{"a":{"const":"x"}}},"then":false}"#, #"{"a":"x","\u0061":"y"}"#, true),
    (#"{"if":{"properties":{"a":{"const":"x"}}},"then":false}"#, #"{"b":1}"#, false),
    // `type` folded into a sibling of its kind (strict), or dropped next to string `enum`/`const`.
    (#"{"type":"object","properties":{"a":true}}"#, #"[]"#, false),
    (#"{"type":"object","required":["a"]}"#, #""a""#, false),
    (#"{"type":"object","maxProperties":1}"#, #"{"a":1}"#, true),
    (#"{"type":"array","minItems":1}"#, #"{"a":1}"#, false),
    (#"{"type":"array","items":{"type":"string"}}"#, #""x""#, false),
    (#"{"type":"array","items":{"type":"string"}}"#, #"["x"]"#, true),
    (#"{"type":"string","minLength":2}"#, #"12345"#, false),
    (#"{"type":"string","maxLength":2}"#, #"null"#, false),
    (#"{"type":"string","maxLength":2}"#, #""ab""#, true),
    (#"{"type":["string","null"],"enum":["a"]}"#, #"null"#, false),
    (#"{"type":["string","null"],"enum":["a"]}"#, #""a""#, true),
    (#"{"type":"integer","const":"a"}"#, #""a""#, false),
    (#"{"type":["object","array"],"minItems":1}"#, #"{}"#, true),
    // A strict discriminator (`type` in the `if`) stays a plain conditional: a string fails it.
    (#"{"if":{"type":"object","properties":{"k":{"const":"a"}}},"then":false}"#, #""x""#, true),
    (#"{"if":{"type":"object","properties":{"k":{"const":"a"}}},"then":false}"#, #"{}"#, false),
    // `anyOf` whose first branch is one leaf, tried in place before the loop.
    (#"{"anyOf":[{"type":"string","minLength":2},{"type":"array"}]}"#, #""ab""#, true),
    (#"{"anyOf":[{"type":"string","minLength":2},{"type":"array"}]}"#, #""a""#, false),
    (#"{"anyOf":[{"type":"string","minLength":2},{"type":"array"}]}"#, #"[]"#, true),
    (#"{"anyOf":[{"type":"string","minLength":2},{"type":"array"}]}"#, #"5"#, false),
    (#"{"anyOf":[{"minLength":2},{"type":"integer"}]}"#, #"5.5"#, true),
    // minLength settled on byte length, with and without escapes, or by counting code points.
    (#"{"anyOf":[{"type":"string","minLength":3},{"type":"null"}]}"#, #""\u00e9\u00e9""#, false),
    (#"{"anyOf":[{"type":"string","minLength":2},{"type":"null"}]}"#, #""\u00e9\u00e9""#, true),
    (#"{"anyOf":[{"type":"string","minLength":2},{"type":"null"}]}"#, #""\ud83d\ude00""#, false),
    (#"{"anyOf":[{"type":"string","minLength":1},{"type":"null"}]}"#, #""\n""#, true),
    (#"{"anyOf":[{"type":"string","minLength":3},{"type":"null"}]}"#, #""éé""#, false),
    (#"{"anyOf":[{"type":"string","minLength":2},{"type":"null"}]}"#, #""éé""#, true),
    (#"{"properties":{"a":{"minLength":2}}}"#, #"{"a":"a\tb"}"#, true),
    (#"{"properties":{"a":{"minLength":4}}}"#, #"{"a":"a\tb"}"#, false),
    (#"{"anyOf":[{"enum":["a","b"]},{"const":"c"}]}"#, #""c""#, true),
    (#"{"anyOf":[{"enum":["a","b"]},{"const":"c"}]}"#, #""d""#, false),
    // `anyOf` whose first branch is one `properties`, tried in place: it holds, fails (then the
    // loop tries every branch), meets a non-object, strict or not.
    (
      #"{"anyOf":[{"properties":{"a":{"type":"string"}},"required":["a"]},{"required":["b"]}]}"#,
      #"{"a":"x"}"#, true
    ),
    (
      #"{"anyOf":[{"properties":{"a":{"type":"string"}},"required":["a"]},{"required":["b"]}]}"#,
      #"{"a":1,"b":2}"#, true
    ),
    (
      #"{"anyOf":[{"properties":{"a":{"type":"string"}},"required":["a"]},{"required":["b"]}]}"#,
      #"{"a":1}"#, false
    ),
    (
      #"{"anyOf":[{"properties":{"a":{"type":"string"}},"required":["a"]},{"required":["b"]}]}"#,
      #"[1]"#, true
    ),
    (
      #"{"anyOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"integer"}]}"#,
      #"[1]"#, false
    ),
    (
      #"{"anyOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"integer"}]}"#,
      #"3"#, true
    ),
    (
      #"{"anyOf":[{"additionalProperties":false,"properties":{"a":true}},{"maxProperties":1}]}"#,
      #"{"b":1}"#, true
    ),
    (
      #"{"anyOf":[{"additionalProperties":false,"properties":{"a":true}},{"maxProperties":1}]}"#,
      #"{"b":1,"c":2}"#, false
    ),
    // `enum`/`const` of scalars: strings and plain integers compare as bytes; numbers with a
    // fraction or exponent, and `-0`, go to the evaluator; containers keep the legacy check.
    (#"{"enum":[0,1]}"#, #"1"#, true),
    (#"{"enum":[0,1]}"#, #"2"#, false),
    (#"{"enum":[0,1]}"#, #"10"#, false),
    (#"{"enum":[0,1]}"#, #"1.0"#, true),
    (#"{"enum":[0,1]}"#, #"1e0"#, true),
    (#"{"enum":[0,1]}"#, #"-0"#, true),
    (#"{"enum":[0,1]}"#, #"0.5"#, false),
    (#"{"enum":[0,1]}"#, #"true"#, false),
    (#"{"enum":[0,1]}"#, #""1""#, false),
    (#"{"enum":[0,1]}"#, #"[1]"#, false),
    (#"{"enum":[-12,1e2,2.0]}"#, #"-12"#, true),
    (#"{"enum":[-12,1e2,2.0]}"#, #"100"#, true),
    (#"{"enum":[-12,1e2,2.0]}"#, #"2"#, true),
    (#"{"enum":[-12,1e2,2.0]}"#, #"12"#, false),
    (#"{"enum":["a",null,true,3]}"#, #"null"#, true),
    (#"{"enum":["a",null,true,3]}"#, #"true"#, true),
    (#"{"enum":["a",null,true,3]}"#, #"false"#, false),
    (#"{"enum":["a",null,true,3]}"#, #""a""#, true),
    (#"{"enum":["a",null,true,3]}"#, #""b""#, false),
    (#"{"enum":["a",null,true,3]}"#, #"3"#, true),
    (#"{"enum":["a",null,true,3]}"#, #"{}"#, false),
    (#"{"enum":[false]}"#, #"false"#, true),
    (#"{"enum":[false]}"#, #"0"#, false),
    (#"{"enum":["a"]}"#, #"1"#, false),
    (#"{"enum":[1.5,2]}"#, #"1.5"#, true),
    (#"{"enum":[[1],2]}"#, #"[1]"#, true),
    (#"{"enum":[123456789012345678901234567890]}"#, #"123456789012345678901234567890"#, true),
    (#"{"const":null}"#, #"null"#, true),
    (#"{"const":null}"#, #"0"#, false),
    (#"{"const":7}"#, #"7"#, true),
    (#"{"const":7}"#, #"7.0"#, true),
    (#"{"const":7}"#, #"70"#, false),
    (#"{"properties":{"w":{"enum":[0,1]}}}"#, #"{"w":0}"#, true),
    (#"{"properties":{"w":{"enum":[0,1]}}}"#, #"{"w":-1}"#, false),
    // `properties` and a switch on a property it names, run in one scan: the discriminator
    // missing, not a string, escaped, repeated, the scan failing, and not an object.
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"k":"a","x":"1"}"#, true
    ),
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"x":"1","k":"a"}"#, true
    ),
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"k":"a"}"#, false
    ),
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"k":"a"}"#, false
    ),
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"k":"a"}"#, false
    ),
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"k":"b"}"#, true
    ),
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"k":"a","x":1}"#, false
    ),
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"k":"b","k":"a"}"#, true
    ),
    (
      #"{"properties":{"k":{"enum":["a","b"]},"x":{"type":"string"}},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]}}"#,
      #"{"k":"a","k":"a"}"#, false
    ),
    (
      #"{"properties":{"k":true},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":false}"#,
      #"{}"#, false
    ),
    (
      #"{"properties":{"k":true},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":false}"#,
      #"{"k":1}"#, false
    ),
    (
      #"{"properties":{"k":true},"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":false}"#,
      #"{"k":"a","x":0}"#, true
    ),
    (
      #"{"properties":{"k":true},"if":{"properties":{"k":{"const":"a"}}},"then":false}"#, #"[]"#,
      false
    ),
    (
      #"{"properties":{"k":true},"if":{"properties":{"k":{"const":"a"}}},"else":false}"#, #"[]"#,
      true
    ),
    (
      #"{"type":"object","properties":{"k":true},"if":{"properties":{"k":{"const":"a"}}},"else":false}"#,
      #"[]"#, false
    ),
    (
      #"{"type":"object","additionalProperties":false,"properties":{"k":true},"if":{"properties":{"k":{"const":"a"}}},"else":false}"#,
      #"{"k":"a","z":1}"#, false
    ),
    // A switch whose property is not a string constant everywhere: `required` in the `if`.
    (
      #"{"if":{"properties":{"k":{"const":"a"}},"required":["k"]},"then":false,"else":{"if":{"properties":{"k":{"const":"b"}}},"then":false}}"#,
      #"{"j":1}"#, false
    ),
  ]

  /// Equivalent schemas with an `if`/`then`/`else` chain on one property.
  ///
  /// The chain compiles to one switch: the second `if` has no `then`, the `else` nodes add
  /// `maxProperties` and `required`. The variants are draft 7, and an `else` reached through
  /// `$ref`.
  static let chains: [String] = [
    #"""
    {"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},
     "else":{"maxProperties":3,
       "if":{"properties":{"k":{"const":"b"}}},
       "else":{"required":["z"],
         "if":{"properties":{"k":{"const":"c"}}},"then":{"required":["y"]},
         "else":{"properties":{"k":{"const":"d"}}}}}}
    """#,
    #"""
    {"$schema":"http://json-schema.org/draft-07/schema#",
     "if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},
     "else":{"if":{"properties":{"k":{"const":"b"}}},"maxProperties":3,
       "else":{
         "if":{"properties":{"k":{"const":"c"}}},"then":{"required":["y"]},
         "else":{"properties":{"k":{"const":"d"}}},"required":["z"]}}}
    """#,
    ##"""
    {"$defs":{
       "b":{"maxProperties":3,"if":{"properties":{"k":{"const":"b"}}},"else":{"$ref":"#/$defs/c"}},
       "c":{"required":["z"],"if":{"properties":{"k":{"const":"c"}}},"then":{"required":["y"]},
            "else":{"properties":{"k":{"const":"d"}}}}},
     "if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},
     "else":{"$ref":"#/$defs/b"}}
    """##,
  ]

  /// Instances for ``chains``: each case matching, none matching, the property missing (the
  /// first `then` applies), not a string, escaped, repeated (every occurrence must match), and
  /// not an object.
  static let chainInstances: [(String, Bool)] = [
    (#"{"k":"a","x":1}"#, true),
    (#"{"k":"a"}"#, false),
    (#"{"x":1}"#, true),
    (#"{"y":1}"#, false),
    (#"{}"#, false),
    (#"{"k":"b"}"#, true),
    (#"{"k":"b","p":1,"q":2,"r":3}"#, false),
    (#"{"k":"c","z":1,"y":1}"#, true),
    (#"{"k":"c","z":1}"#, false),
    (#"{"k":"c","y":1}"#, false),
    (#"{"k":"d","z":1}"#, true),
    (#"{"k":"d","z":1,"p":1,"q":2}"#, false),
    (#"{"k":"e","z":1}"#, false),
    (#"{"k":1,"z":1}"#, false),
    (#"{"k":null,"z":1,"x":1}"#, false),
    (#"{"k":"\u0061","x":1}"#, true),
    (#"{"k":"\u0061"}"#, false),
    (#"{"\u006b":"a"}"#, false),
    (#"{"\u006b":"c","z":1,"y":1}"#, true),
    (#"{"k":"a","x":1,"k":"b"}"#, false),
    (#"{"k":"b","k":"b"}"#, true),
    (#"{"k":"d","z":1,"k":"c"}"#, false),
    (#"{"k":"a","k":"a","x":1}"#, true),
    (#"{"k":"b","\u006b":"b"}"#, true),
    (#"{"k":"b","\u006b":"c"}"#, false),
    (#"["k","a"]"#, true),
    (#""a""#, true),
    (#"{"k":"aa","z":1}"#, false),
    (#"{"k":"abcdefghijk","z":1}"#, false),
  ]

  @Test(arguments: chainInstances)
  func conditionalChainsAgree(instance: String, valid: Bool) throws {
    for schema in Self.chains {
      let compiled = try SchemaCompiler().compile(schemaBytes: Array(schema.utf8))
      #expect(compiled.program.flat?.switches.pointee.count == 3)
      var parser = JSONParser()
      var document = JSONDocument()
      try parser.parse(Array(instance.utf8), into: &document)
      #expect(compiled.isValid(document) == valid, "\(schema)")
      #expect(compiled.collectErrors(document).valid == valid, "\(schema)")
    }
  }

  @Test(arguments: mixed)
  func mixedSchemasAgree(schema: String, instance: String, valid: Bool) throws {
    let compiled = try SchemaCompiler().compile(schemaBytes: Array(schema.utf8))
    var parser = JSONParser()
    var document = JSONDocument()
    try parser.parse(Array(instance.utf8), into: &document)
    #expect(compiled.isValid(document) == valid)
    #expect(compiled.collectErrors(document).valid == valid)
  }
}
