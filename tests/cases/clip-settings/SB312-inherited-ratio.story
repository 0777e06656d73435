#! SB312 4:1
# The file's ratio suits its own model, not the legacy model one clip asks for.
model wan2.7-t2v
ratio 16:9
clip a 5s
  A fox runs
clip b 5s
  model wan2.2-t2v-plus
  A fox sleeps
