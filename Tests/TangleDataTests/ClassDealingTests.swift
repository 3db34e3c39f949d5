import Testing
import TangleData

@Suite struct ClassDealingTests {
    @Test("Dealt out class by class: every prefix holds every class; each class keeps its order; nothing lost")
    func dealing() {
        // Read class by class, as an image folder is, with classes of unequal size.
        let labels: [Int32] = [0, 0, 0, 1, 1, 2, 2, 2, 2]
        let dealt = ClassDealing.deal(labels: labels)
        #expect(dealt == [0, 3, 5, 1, 4, 6, 2, 7, 8])
        #expect(dealt.sorted() == Array(0..<labels.count))
        #expect(ClassDealing.deal([[9, 4], [], [7]]) == [9, 7, 4])
        #expect(ClassDealing.deal([]).isEmpty)
    }
}
