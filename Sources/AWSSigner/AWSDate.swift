import Foundation

/// The UTC date forms SigV4 uses, computed arithmetically so signing never depends on a locale,
/// a time zone setting or a shared formatter.
enum AWSDate {
    struct Parts: Equatable {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    }

    /// Civil UTC date and time of `date`, whole seconds (fractions are truncated, as the SDKs do).
    static func parts(_ date: Date) -> Parts {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secs = total - days * 86_400
        // Howard Hinnant's civil-from-days: days since 1970-01-01 to year, month, day.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return Parts(year: year, month: month, day: day, hour: secs / 3600, minute: secs % 3600 / 60, second: secs % 60)
    }

    /// `20150830T123600Z`: the `X-Amz-Date` form.
    static func amzDate(_ date: Date) -> String {
        let p = parts(date)
        return pad(p.year, 4) + pad(p.month, 2) + pad(p.day, 2) + "T" + pad(p.hour, 2) + pad(p.minute, 2)
            + pad(p.second, 2) + "Z"
    }

    /// `20150830`: the date of the credential scope.
    static func scopeDate(_ date: Date) -> String {
        let p = parts(date)
        return pad(p.year, 4) + pad(p.month, 2) + pad(p.day, 2)
    }

    /// `2015-08-30T12:36:00Z`.
    static func iso8601(_ date: Date) -> String {
        let p = parts(date)
        return "\(pad(p.year, 4))-\(pad(p.month, 2))-\(pad(p.day, 2))T\(pad(p.hour, 2)):\(pad(p.minute, 2)):\(pad(p.second, 2))Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
