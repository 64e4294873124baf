/// A tensor flowing between two layers in a plan: its value and, in training, its gradient,
/// both in the layout the producing primitive chose.
public struct Activation {
    public let shape: Shape
    let value: Memory
    /// Nil where no gradient is needed: the network input, and every activation of an inference plan.
    let gradient: Memory?

    var descriptor: MemoryDescriptor { value.descriptor }
}
