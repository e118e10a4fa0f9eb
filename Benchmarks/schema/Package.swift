// swift-tools-version: 6.2
// Release-mode throughput benchmark of the JSON Schema validator.
//   cd Benchmarks/schema && swift build -c release && .build/release/schema-bench SCHEMA FILE.jsonl
// Sources/TunePrep is a symbolic link to the main package's library sources, because the main
// package exports no library product (yet).
import PackageDescription

let package = Package(
  name: "schema-bench",
  dependencies: [
    .package(url: "https://github.com/apple/swift-crypto", .upToNextMinor(from: "3.12.3"))
  ],
  targets: [
    // Mirror the main package's TunePrep dependencies here (Sources/CLibXML2 is a link too).
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .target(
      name: "TunePrep",
      dependencies: ["CLibXML2", .product(name: "Crypto", package: "swift-crypto")]),
    .executableTarget(name: "schema-bench", dependencies: ["TunePrep"], path: "Sources/SchemaBench"),
  ],
  swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
  var settings = target.swiftSettings ?? []
  settings.append(contentsOf: [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
  ])
  target.swiftSettings = settings
}
