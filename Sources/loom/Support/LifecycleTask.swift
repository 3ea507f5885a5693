import ServiceLifecycle

/// A part of the process, run as a service of a `ServiceGroup`: on a graceful shutdown the group tells the
/// servers inside (Hummingbird's applications follow the enclosing group), and they finish what they serve.
struct LifecycleTask: Service {
    let body: @Sendable () async throws -> Void

    func run() async throws { try await body() }
}
