# An English term the table does not know.
#! SB211 4:11
clip a 5s
  shot 5s medium-full
    a rainy street
