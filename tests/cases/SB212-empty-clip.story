#! SB212 2:6
clip a 3s
