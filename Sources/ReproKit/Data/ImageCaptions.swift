import TensorCore

/// Captions for labelled images, written from each image's class and two things measured in
/// it: CLIP's (image, text) pairs at the scale of a small labelled set. Nothing here is web
/// text: a caption says the class under one of a few templates, sometimes with "bright" or
/// "dark" (the image's mean ink against its class's median) and "wide" or "narrow" (the
/// width of its ink against the class's median), so the words a model can learn are the class
/// names, those four attributes and the templates' words.
///
/// Templates are split: `trainingTemplates` write the training captions; `heldOutTemplates`
/// are never trained on, for zero-shot prompts in wording the model has not seen.
public struct ImageCaptions: Sendable {
    /// Templates for training captions; "{}" is the class (with any attributes).
    public static let trainingTemplates = [
        "a photo of a {}.", "a picture of a {}.", "an image of a {}.", "a {} in black and white.",
        "a small photo of a {}.", "a blurry photo of a {}.", "a low resolution photo of a {}.",
        "a grayscale image of a {}.", "this is a {}.", "a centered photo of a {}.",
    ]
    /// Templates kept out of training; their words that training never wrote are unknown
    /// tokens to the model, as a new phrasing would be.
    public static let heldOutTemplates = [
        "a good photo of a {}.", "a close-up picture of a {}.", "a black and white image of a {}.",
        "there is a {} in this picture.",
    ]

    /// The class names as captions say them: lower case, the first of "a/b" names
    /// ("T-shirt/top" → "t-shirt").
    public let classNames: [String]
    /// Per image: brighter than its class's median mean ink, and wider than its median width.
    public let bright: [Bool]
    public let wide: [Bool]
    public let labels: [Int]
    /// Per class: the median mean ink and the median width (in pixels) that split the
    /// attributes; `nan` for a class with no image.
    public let inkMedians: [Double], widthMedians: [Double]

    /// Measures every image of `images` (an ink threshold of 64 of 255 for the width) against
    /// its class's medians: those of `images` itself, or of `reference` (the training set's,
    /// so that test images are described by the same thresholds the model was taught).
    public init(_ images: LabeledImages, reference: ImageCaptions? = nil) {
        classNames = images.classNames.map { Self.spoken($0) }
        labels = images.labels
        let (h, w, c) = (images.height, images.width, images.channels)
        var ink = [Double](repeating: 0, count: images.count), width = [Int](repeating: 0, count: images.count)
        images.images.withUnsafeBufferPointer { p in
            for i in 0..<images.count {
                let base = i * images.imageSize
                var sum = 0, first = w, last = -1
                for y in 0..<h {
                    for x in 0..<w {
                        var v = 0
                        for ch in 0..<c { v = max(v, Int(p[base + (ch * h + y) * w + x])) }
                        sum += v
                        if v > 64 { first = min(first, x); last = max(last, x) }
                    }
                }
                ink[i] = Double(sum) / Double(h * w)
                width[i] = max(0, last - first + 1)
            }
        }
        var bright = [Bool](repeating: false, count: images.count), wide = bright
        var inkMedians = [Double](repeating: .nan, count: images.classNames.count), widthMedians = inkMedians
        for k in 0..<images.classNames.count {
            let members = images.labels.indices.filter { images.labels[$0] == k }
            if let reference, k < reference.inkMedians.count {
                inkMedians[k] = reference.inkMedians[k]; widthMedians[k] = reference.widthMedians[k]
            } else if !members.isEmpty {
                inkMedians[k] = Self.median(members.map { ink[$0] })
                widthMedians[k] = Self.median(members.map { Double(width[$0]) })
            }
            for i in members {
                bright[i] = ink[i] > inkMedians[k]
                wide[i] = Double(width[i]) > widthMedians[k]
            }
        }
        self.bright = bright
        self.wide = wide
        self.inkMedians = inkMedians
        self.widthMedians = widthMedians
    }

    /// "T-shirt/top" → "t-shirt", "Ankle boot" → "ankle boot".
    static func spoken(_ name: String) -> String {
        String(name.lowercased().split(separator: "/").first ?? Substring(name))
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// `template` with "{}" replaced by `subject`.
    public static func fill(_ template: String, _ subject: String) -> String {
        template.replacingOccurrences(of: "{}", with: subject)
    }

    /// A training caption of image `i`: a training template drawn from `rng`, and the class
    /// name alone, with one attribute, or with both (a third of the time each).
    public func caption(_ i: Int, rng: inout RNG) -> String {
        let template = Self.trainingTemplates[rng.int(below: Self.trainingTemplates.count)]
        let name = classNames[labels[i]]
        let (brightness, size) = words(i)
        let subject: String
        switch rng.int(below: 3) {
        case 0: subject = name
        case 1: subject = (rng.int(below: 2) == 0 ? brightness : size) + " " + name
        default: subject = "\(brightness) \(size) \(name)"
        }
        return Self.fill(template, subject)
    }

    /// Image `i` described in full by the first template, both attributes included ("a photo
    /// of a bright wide ankle boot."): one caption per class and attribute pair, so a model
    /// that reads the image can tell which of them is its own (retrieval's captions; a
    /// training caption's template is drawn at random and cannot be read off the image).
    public func description(_ i: Int) -> String {
        let (brightness, size) = words(i)
        return Self.fill(Self.trainingTemplates[0], "\(brightness) \(size) \(classNames[labels[i]])")
    }

    /// Image `i`'s attribute words.
    func words(_ i: Int) -> (brightness: String, size: String) {
        (bright[i] ? "bright" : "dark", wide[i] ? "wide" : "narrow")
    }

    /// Every caption a training template can write of any image: what a tokenizer learns its
    /// vocabulary from (never the held-out templates).
    public var trainingVocabularyText: [String] {
        let subjects = classNames.flatMap { name in
            [name] + ["bright", "dark", "wide", "narrow"].map { "\($0) \(name)" }
                + ["bright", "dark"].flatMap { b in ["wide", "narrow"].map { "\(b) \($0) \(name)" } }
        }
        return Self.trainingTemplates.flatMap { t in subjects.map { Self.fill(t, $0) } }
    }
}
