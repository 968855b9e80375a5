-- MySQL dump 10.19  Distrib 10.3.38-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 10.64.32.0    Database: jawiki
-- ------------------------------------------------------
-- Server version	10.6.17-MariaDB-log

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;

--
-- Table structure for table `langlinks`
--

DROP TABLE IF EXISTS `langlinks`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
CREATE TABLE `langlinks` (
  `ll_from` int(8) unsigned NOT NULL DEFAULT 0,
  `ll_lang` varbinary(35) NOT NULL DEFAULT '',
  `ll_title` varbinary(255) NOT NULL DEFAULT '',
  PRIMARY KEY (`ll_from`,`ll_lang`),
  KEY `ll_lang` (`ll_lang`,`ll_title`)
) ENGINE=InnoDB DEFAULT CHARSET=binary ROW_FORMAT=COMPRESSED;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `langlinks`
--

/*!40000 ALTER TABLE `langlinks` DISABLE KEYS */;
INSERT INTO `langlinks` VALUES (1,'de','Tokio'),(1,'en','Tokyo'),(1,'fr','Tokyo'),(1,'zh','东京都'),(3,'de','Fuji (Vulkan)'),(3,'en','Mount Fuji'),(3,'fr','Mont Fuji'),(3,'zh','富士山'),(6,'de','Sushi'),(6,'en','Sushi'),(6,'fr','Sushi'),(6,'zh','壽司'),(7,'de','Ägypten'),(7,'en','Egypt'),(7,'fr','Égypte'),(7,'zh','埃及');
INSERT INTO `langlinks` VALUES (8,'en','Template:Infobox country'),(9,'de','Kairo'),(9,'en','Cairo'),(9,'fr','Le Caire'),(9,'zh','开罗'),(10,'de','Nil'),(10,'en','Nile'),(10,'fr','Nil'),(10,'zh','尼罗河'),(12,'de','Japanische Sprache'),(12,'en','Japanese language'),(12,'fr','Japonais'),(12,'zh','日语'),(13,'de','Sonne'),(13,'en','Sun'),(13,'fr','Soleil');
INSERT INTO `langlinks` VALUES (13,'zh','太阳'),(14,'de','Mond'),(14,'en','Moon'),(14,'fr','Lune'),(14,'zh','月球'),(15,'de','Pyramide (Bauwerk)'),(15,'en','Pyramid'),(15,'fr','Pyramide'),(16,'de','Merkur (Planet)'),(16,'en','Mercury (planet)'),(16,'fr','Mercure (planète)'),(16,'zh','水星'),(20,'de','Halleyscher Komet'),(20,'en','Halley\'s Comet'),(20,'fr','Comète de Halley'),(20,'zh','哈雷彗星');
INSERT INTO `langlinks` VALUES (21,'zh','月见团子'),(23,'en','Category:Astronomical objects');
/*!40000 ALTER TABLE `langlinks` ENABLE KEYS */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2024-07-02  3:12:44
