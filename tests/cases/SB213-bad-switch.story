#! SB213 2:11
watermark yes please
clip a 3s
  One
