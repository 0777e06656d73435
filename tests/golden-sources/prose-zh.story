# 中文:沒有句號的行,一個帶逗號的描述,以及寫給提示詞的標籤("狐狸")。
model wan2.7-t2v
language zh
cast fox "狐狸": 一隻紅色的狐狸,穿著風衣
place square "廣場": 清晨空無一人的小鎮廣場
clip dawn 10s
  安靜的早晨
  shot 3s wide
    @square 薄霧散開
  shot 7s medium
    @fox 慢慢穿過廣場
    他停下腳步,抬頭望向窗口
    sfx: 遠處的鐘聲
