import ArgumentParser
import CBLAS
import CJPEG
import CPNG
import CZlib
import TangleTraining

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Tangle's version and the native libraries it runs on.")

    func run() {
        print("tangle \(tangleVersion)")
        print("OpenBLAS: \(String(cString: openblas_get_config()))")
        print("libjpeg API: \(JPEG_LIB_VERSION)")
        print("libpng: \(String(cString: png_get_libpng_ver(nil)))")
        print("zlib: \(String(cString: zlibVersion()))")
    }
}
