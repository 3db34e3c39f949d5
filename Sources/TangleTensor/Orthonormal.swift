import CBLAS

/// Orthonormal bases by LAPACK's Householder QR (`dgeqrf` + `dorgqr`), from OpenBLAS.
public enum Orthonormal {
    /// Replaces the columns of a row-major `rows x columns` matrix (`rows ≥ columns`) by an
    /// orthonormal basis of their span, in order (Gram–Schmidt's result up to signs; a rank-deficient
    /// matrix still gets orthonormal columns).
    public static func columns(_ a: UnsafeMutablePointer<Float>, rows m: Int, columns n: Int) throws {
        precondition(m >= n, "more columns than rows")
        guard n > 0 else { return }
        // Column-major Double copy: column c at t[c * m ..< (c + 1) * m].
        var t = [Double](repeating: 0, count: m * n)
        for r in 0..<m { for c in 0..<n { t[c * m + r] = Double(a[r * n + c]) } }
        guard t.allSatisfy(\.isFinite) else { throw SymmetricEigen.Failure(info: 0) }
        var rows = Int32(m), cols = Int32(n), lda = Int32(m), info: Int32 = 0
        var tau = [Double](repeating: 0, count: n)
        var query = [Double](repeating: 0, count: 1), lwork: Int32 = -1
        dgeqrf_(&rows, &cols, &t, &lda, &tau, &query, &lwork, &info)
        guard info == 0 else { throw SymmetricEigen.Failure(info: info) }
        var size = Int(query[0])
        dorgqr_(&rows, &cols, &cols, &t, &lda, &tau, &query, &lwork, &info)
        guard info == 0 else { throw SymmetricEigen.Failure(info: info) }
        size = max(size, Int(query[0]), 1)
        var work = [Double](repeating: 0, count: size)
        lwork = Int32(size)
        dgeqrf_(&rows, &cols, &t, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw SymmetricEigen.Failure(info: info) }
        dorgqr_(&rows, &cols, &cols, &t, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw SymmetricEigen.Failure(info: info) }
        for r in 0..<m { for c in 0..<n { a[r * n + c] = Float(t[c * m + r]) } }
    }
}
