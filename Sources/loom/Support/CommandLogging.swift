import Foundation
import Logging

/// Logs go to stderr at the level `LOOM_LOG_LEVEL` names (trace … critical); commands default to errors only, so
/// their own output stays clean.
enum CommandLogging {
    static func bootstrap(defaultLevel: Logger.Level = .error) {
        let configured = ProcessInfo.processInfo.environment["LOOM_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        let level = configured ?? defaultLevel
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, level: level) }
    }
}
