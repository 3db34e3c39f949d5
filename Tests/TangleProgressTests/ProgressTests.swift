import Testing

@testable import TangleProgress

@Suite struct ProgressTests {
    @Test func durationsReadNaturally() {
        #expect(Progress.formatDuration(12.4) == "12s")
        #expect(Progress.formatDuration(185) == "3m05s")
        #expect(Progress.formatDuration(3725) == "1h02m")
        #expect(Progress.formatDuration(.infinity) == "--")
    }
}
