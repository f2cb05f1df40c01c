A photo of ${product}
