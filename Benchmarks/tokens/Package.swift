// swift-tools-version: 6.2
// Release-mode throughput benchmark of the token engine, kept out of the main package
// (STYLE.md: benchmarks live in their own package). The library's sources are compiled in
// through a symbolic link (Sources/TunePrep, and Sources/CLibXML2), so the benchmark always
// measures the current code without the main package exporting a library product.
import PackageDescription

let package = Package(
  name: "TokensBench",
  dependencies: [
    .package(url: "https://github.com/apple/swift-crypto", .upToNextMinor(from: "3.12.3"))
  ],
  targets: [
    // Mirror the main package's TunePrep dependencies here.
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .target(
      name: "TunePrep",
      dependencies: ["CLibXML2", .product(name: "Crypto", package: "swift-crypto")]),
    .executableTarget(name: "TokensBench", dependencies: ["TunePrep"], path: "Sources/TokensBench"),
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
