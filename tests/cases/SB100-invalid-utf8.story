#! SB100 3:9
clip a 3s
  Prose ÿþ here
