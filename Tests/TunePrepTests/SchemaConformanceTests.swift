import Foundation
import Testing

@testable import TunePrep

/// Runs JSON-Schema-Test-Suite (draft2020-12 and draft7) through the schema engine.
///
/// Required cases gate at 99.5 % per draft; optional ones (with formats asserted for
/// `optional/format/`) are reported but do not gate. Every failure is printed.
@Suite struct SchemaConformanceTests {
  struct Tally {
    var passed = 0
    var total = 0
    var failures: [String] = []
    var percent: Double { total == 0 ? 0 : Double(passed) * 100 / Double(total) }
  }

  static var suiteRoot: URL {
    ConformanceDirectory.url.appendingPathComponent("json-schema-test-suite")
  }

  static func options(draft: SchemaDraft, strictFormats: Bool) -> SchemaOptions {
    var options = SchemaOptions()
    options.defaultDraft = draft
    options.strictFormats = strictFormats
    options.resolver = SchemaResolver(mappings: [
      .init(
        prefix: "http://localhost:1234/",
        directory: suiteRoot.appendingPathComponent("remotes").path)
    ])
    return options
  }

  /// Runs every case of the `.json` files directly in `folder`.
  static func run(folder: String, draft: SchemaDraft, strictFormats: Bool) throws -> Tally {
    let dir = suiteRoot.appendingPathComponent("tests").appendingPathComponent(folder)
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
      $0.hasSuffix(".json")
    }.sorted()
    #expect(!names.isEmpty, "no test files in \(dir.path)")
    let compiler = SchemaCompiler(options: options(draft: draft, strictFormats: strictFormats))
    var tally = Tally()
    var parser = JSONParser()
    for name in names {
      let data = try Data(contentsOf: dir.appendingPathComponent(name))
      var document = JSONDocument()
      try parser.parse(data, into: &document)
      for group in document.elements(document.root) {
        let groupValue = JSONValue(document, node: group)
        let groupName = groupValue["description"]?.stringValue ?? "?"
        var schemaNode: Int?
        var testsNode: Int?
        for member in document.members(group) {
          switch document.string(member.key) {
          case "schema": schemaNode = member.value
          case "tests": testsNode = member.value
          default: break
          }
        }
        guard let schemaNode, let testsNode else { continue }
        let compiled: Result<CompiledSchema, SchemaCompileError>
        do throws(SchemaCompileError) {
          compiled = .success(
            try compiler.compile(document: document, node: schemaNode, baseURI: nil))
        } catch {
          compiled = .failure(error)
        }
        for test in document.elements(testsNode) {
          tally.total += 1
          let testValue = JSONValue(document, node: test)
          let label =
            "\(folder)/\(name): \(groupName) / \(testValue["description"]?.stringValue ?? "?")"
          guard case .bool(let expected) = testValue["valid"] else { continue }
          var dataNode: Int?
          for member in document.members(test) where document.string(member.key) == "data" {
            dataNode = member.value
          }
          guard let dataNode else { continue }
          switch compiled {
          case .failure(let error):
            tally.failures.append("\(label): schema did not compile: \(error)")
          case .success(let schema):
            let fast = schema.isValid(document, node: dataNode)
            let (collected, errors) = schema.collectErrors(document, node: dataNode)
            if fast != collected {
              tally.failures.append(
                "\(label): boolean and collecting modes disagree (\(fast) vs \(collected))")
            } else if !collected && errors.isEmpty {
              tally.failures.append("\(label): invalid without any error message")
            } else if fast != expected {
              let why = errors.prefix(2).map { "\($0.schemaLocation) \($0)" }.joined(
                separator: "; ")
              tally.failures.append(
                "\(label): expected \(expected ? "valid" : "invalid"), got \(fast ? "valid" : "invalid") \(why)"
              )
            } else {
              tally.passed += 1
            }
          }
        }
      }
    }
    return tally
  }

  static func report(_ title: String, _ tally: Tally) {
    print(
      "JSON-Schema-Test-Suite \(title): \(tally.passed)/\(tally.total) (\(String(format: "%.2f", tally.percent)) %)"
    )
    for failure in tally.failures { print("  FAIL \(failure)") }
  }

  @Test(arguments: [("draft2020-12", SchemaDraft.draft2020_12), ("draft7", SchemaDraft.draft7)])
  func requiredCases(folder: String, draft: SchemaDraft) throws {
    let tally = try Self.run(folder: folder, draft: draft, strictFormats: false)
    Self.report("\(folder) required", tally)
    #expect(tally.total >= 900, "the suite looks incomplete: \(tally.total) cases")
    #expect(tally.percent >= 99.5, "\(folder): \(tally.passed)/\(tally.total) required cases pass")
  }

  @Test(arguments: [("draft2020-12", SchemaDraft.draft2020_12), ("draft7", SchemaDraft.draft7)])
  func optionalCases(folder: String, draft: SchemaDraft) throws {
    let optional = try Self.run(folder: folder + "/optional", draft: draft, strictFormats: false)
    Self.report("\(folder) optional", optional)
    let formats = try Self.run(
      folder: folder + "/optional/format", draft: draft, strictFormats: true)
    Self.report("\(folder) optional/format (strict formats)", formats)
    #expect(optional.total > 0 && formats.total > 0)
  }
}
