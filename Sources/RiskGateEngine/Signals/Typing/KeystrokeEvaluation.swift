import Foundation

/// Equal-error rates under the Killourhy–Maxion protocol, shared by the bench and the tests.
package enum KeystrokeEvaluation {
    /// One detector's result: per-subject EERs and their mean and (sample) standard deviation.
    package struct Result: Sendable {
        package var detector: String
        package var perSubject: [Double]
        package var mean: Double { perSubject.isEmpty ? .nan : perSubject.reduce(0, +) / Double(perSubject.count) }
        package var standardDeviation: Double {
            guard perSubject.count > 1 else { return 0 }
            let m = mean
            return (perSubject.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(perSubject.count - 1)).squareRoot()
        }
    }

    /// The exact equal-error rate of scores where higher means "impostor".
    ///
    /// Sweeps the threshold over every distinct score (accept when score ≤ t), from accept-nothing
    /// (FAR 0, FRR 1) to accept-all (FAR 1, FRR 0); where FAR − FRR changes sign between two
    /// consecutive thresholds, the rates are interpolated linearly to the point where they are equal.
    package static func equalErrorRate(genuine: [Double], impostor: [Double]) -> Double {
        guard !genuine.isEmpty, !impostor.isEmpty else { return .nan }
        let scored = (genuine.map { ($0, true) } + impostor.map { ($0, false) }).sorted { $0.0 < $1.0 }
        let nG = Double(genuine.count), nI = Double(impostor.count)
        var far = 0.0, frr = 1.0
        var acceptedG = 0, acceptedI = 0
        var i = 0
        while i < scored.count {
            let t = scored[i].0
            while i < scored.count, scored[i].0 == t {
                if scored[i].1 { acceptedG += 1 } else { acceptedI += 1 }
                i += 1
            }
            let nextFAR = Double(acceptedI) / nI, nextFRR = 1 - Double(acceptedG) / nG
            let d0 = far - frr, d1 = nextFAR - nextFRR
            if d1 >= 0 {
                if d1 == 0 { return nextFAR }
                let w = -d0 / (d1 - d0)
                return far + w * (nextFAR - far)
            }
            far = nextFAR
            frr = nextFRR
        }
        return far  // unreachable: accept-all has FAR 1 ≥ FRR 0
    }

    /// Killourhy–Maxion (2009): per subject, train on its first `trainCount` repetitions, score its
    /// remaining repetitions as genuine and the first `impostorCount` of every other subject as
    /// impostors; one EER per subject.
    package static func killourhyMaxion(
        subjects: [[[Double]]], detector: KeystrokeDetector, trainCount: Int = 25, impostorCount: Int = 5
    ) -> Result {
        var eers: [Double] = []
        for (s, rows) in subjects.enumerated() where rows.count > trainCount {
            let scorer = detector.train(Array(rows.prefix(trainCount)))
            let genuine = rows.dropFirst(trainCount).map(scorer)
            var impostor: [Double] = []
            for (o, other) in subjects.enumerated() where o != s { impostor += other.prefix(impostorCount).map(scorer) }
            eers.append(equalErrorRate(genuine: genuine, impostor: impostor))
        }
        return Result(detector: detector.name, perSubject: eers)
    }

    /// Problems reading the touch data set.
    package struct DatasetError: Error, CustomStringConvertible {
        package var description: String
    }

    /// Loads `dataset1_features`: one `N.csv` per subject (ordered by N), one repetition per line,
    /// keeping the first `columns` values (the 40 timing columns: 14 hold, 13 DD, 13 UD).
    package static func loadDataset1(directory: URL, columns: Int = 40) throws -> [[[Double]]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .compactMap { name -> (Int, String)? in
                guard name.hasSuffix(".csv"), let n = Int(name.dropLast(4)) else { return nil }
                return (n, name)
            }
            .sorted { $0.0 < $1.0 }
        guard !names.isEmpty else { throw DatasetError(description: "no `N.csv` files in `\(directory.path)`") }
        return try names.map { _, name in
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            return try parseRows(text, columns: columns, file: name)
        }
    }

    /// Parses comma-separated numeric rows, keeping the first `columns` values of each.
    package static func parseRows(_ text: String, columns: Int, file: String) throws -> [[Double]] {
        var rows: [[Double]] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).prefix(columns)
            let values = cells.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == columns, values.allSatisfy(\.isFinite) else {
                throw DatasetError(description: "`\(file)` line \(number + 1): expected \(columns) numbers")
            }
            rows.append(values)
        }
        return rows
    }
}
